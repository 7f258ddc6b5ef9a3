// Herald's consumer portal: plain DOM code over the public REST API, with the tenant's API key or
// a portal session's token (from a portal link's `#token=` fragment).
// Everything the server sends is written with textContent, never parsed as HTML.

const KEY_STORAGE = 'herald.portal.apiKey';
const DELIVERY_PAGE = 20;
const MAX_DELIVERIES = 100;
const DELIVERY_REFRESH_MS = 2000;
const LIVE_EVENTS_SHOWN = 50;
const SNIPPET_PREVIEW = 120;
const NOTICE_MS = 6000;
/** Portal session tokens, as portal links carry them; API keys start with `hk_`. */
const SESSION_TOKEN_PREFIX = 'hp_';
/** Node and browsers fire a timer longer than this at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const KEY_REFUSED = 'Your API key is no longer accepted. Sign in again.';
const SESSION_ENDED = 'Your portal session has ended. Ask for a new link.';

/** @param {string} id */
const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element;
};

const state = {
  /** @type {string | null} the API key or portal session token signed in with */
  apiKey: null,
  /** @type {{ expiresAt: string, readOnly: boolean } | null} set when signed in with a portal session */
  session: null,
  /** @type {ReturnType<typeof setTimeout> | undefined} signs out when the session ends */
  sessionTimer: undefined,
  /** @type {any[]} */
  subscriptions: [],
  /** @type {any[]} the declared event types, as `GET /v1/event-types` lists them */
  eventTypes: [],
  /** @type {string | null} id of the subscription whose deliveries are open */
  selectedId: null,
  /** @type {string | null} id of the subscription being edited; null when creating */
  editingId: null,
  deliveryLimit: DELIVERY_PAGE,
  /** the last deliveries answer drawn, to skip redrawing an unchanged list */
  deliveriesDrawn: '',
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  refreshTimer: undefined,
  refreshing: false,
  refreshAgain: false,
  /** @type {AbortController | null} */
  live: null,
};

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {string | undefined} code
   */
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/**
 * Creates an element; strings among `children` become text, never markup.
 * @param {string} tag
 * @param {Record<string, string | boolean | undefined>} [attributes]
 * @param {(Node | string | null | undefined)[]} children
 */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) element.append(child);
  }
  return element;
}

/** @param {string | null | undefined} iso */
function time(iso) {
  if (!iso) return h('span', {}, '—');
  return h('time', { datetime: iso }, new Date(iso).toLocaleString());
}

/** @param {string} text @param {number} length */
function shorten(text, length) {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** @param {number} ms */
function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;

/** @param {string} message */
function notify(message) {
  const notice = $('notice');
  $('error').hidden = true;
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (notice.hidden = true), NOTICE_MS);
}

/** @param {unknown} error */
function showError(error) {
  if (error instanceof ApiError && error.status === 401) return; // signOut has said it already
  const box = $('error');
  $('notice').hidden = true;
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

function clearMessages() {
  $('notice').hidden = true;
  $('error').hidden = true;
}

/**
 * Runs a button's action with the button disabled meanwhile, showing any error.
 * @param {HTMLButtonElement} button
 * @param {() => Promise<void>} action
 */
async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await action();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------------------------------------
// The API

/**
 * Calls the REST API with the signed-in key. A 401 signs out: the key was revoked, or the session
 * ended.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {string | null} [key]
 */
async function api(method, path, body, key = state.apiKey) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${key ?? ''}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok) return answer;
  const message =
    answer && typeof answer.message === 'string'
      ? answer.message
      : `${response.status} ${response.statusText}`;
  const error = new ApiError(response.status, message, answer?.code);
  if (response.status === 401 && key === state.apiKey && state.apiKey !== null) {
    signOut(refusedMessage());
  }
  throw error;
}

/** @param {string} id */
const subscriptionPath = (id) => `/v1/subscriptions/${encodeURIComponent(id)}`;

// ---------------------------------------------------------------------------------------------
// Signing in and out

/** Why the signed-in credential was refused. */
function refusedMessage() {
  return state.session ? SESSION_ENDED : KEY_REFUSED;
}

/**
 * The token of a portal link (`/portal#token=hp_…`), taken out of the address bar at once so it
 * stays out of the history, bookmarks and anything the page shares; null without one.
 */
function takeLinkToken() {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (token === null) return null;
  window.history.replaceState(
    window.history.state,
    '',
    `${window.location.pathname}${window.location.search}`,
  );
  return token.trim() || null;
}

/** @param {string} key an API key or a portal session token */
async function signIn(key) {
  // Any tenant route tells whether the key is a live tenant key or portal session.
  await api('GET', '/v1/subscriptions?limit=1', undefined, key);
  const session = key.startsWith(SESSION_TOKEN_PREFIX)
    ? await api('GET', '/v1/portal-sessions/current', undefined, key)
    : null;
  state.apiKey = key;
  sessionStorage.setItem(KEY_STORAGE, key);
  showSession(session);
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  // The catalog first: once the subscriptions show, the page has made every call of signing in.
  await loadEventTypes().catch(showError);
  await loadSubscriptions();
  startLive();
  $('subscriptions-title').setAttribute('tabindex', '-1');
  $('subscriptions-title').focus();
}

/**
 * Shows when the portal session ends and signs out then, and hides what a read-only session
 * cannot use; with an API key (null), shows everything.
 * @param {{ expiresAt: string, readOnly: boolean } | null} session
 */
function showSession(session) {
  state.session = session;
  clearTimeout(state.sessionTimer);
  state.sessionTimer = undefined;
  const info = $('session-info');
  info.hidden = !session;
  if (session) {
    info.replaceChildren(
      `${session.readOnly ? 'Read-only session' : 'Session'} · ends `,
      time(session.expiresAt),
    );
  } else {
    info.replaceChildren();
  }
  if (session) {
    const left = Date.parse(session.expiresAt) - Date.now();
    state.sessionTimer = setTimeout(() => signOut(SESSION_ENDED), Math.min(left, MAX_TIMER_MS));
  }
  const readOnly = session?.readOnly ?? false;
  for (const id of ['new-subscription', 'send-test', 'rotate-secret']) $(id).hidden = readOnly;
}

/** Whether the signed-in credential may change things (a read-only session may not). */
const canChange = () => !state.session?.readOnly;

/** @param {string} [message] */
function signOut(message) {
  state.apiKey = null;
  showSession(null);
  sessionStorage.removeItem(KEY_STORAGE);
  stopLive();
  closeDetail();
  hideSubscriptionForm();
  state.subscriptions = [];
  state.eventTypes = [];
  $('subscription-list').replaceChildren();
  drawEventTypes();
  $('live-list').replaceChildren();
  $('workspace').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  clearMessages();
  const error = $('sign-in-error');
  error.textContent = message ?? '';
  error.hidden = !message;
  /** @type {HTMLInputElement} */ ($('api-key')).value = '';
  $('api-key').focus();
}

async function onSignIn(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('api-key'));
  const error = $('sign-in-error');
  const key = input.value.trim();
  error.hidden = true;
  if (!key) {
    error.textContent = 'Enter your API key.';
    error.hidden = false;
    input.focus();
    return;
  }
  try {
    await signIn(key);
    input.value = '';
  } catch (cause) {
    error.textContent =
      cause instanceof ApiError && cause.status === 401
        ? 'That API key was not accepted.'
        : cause instanceof ApiError && cause.status === 403
          ? 'This is not a tenant API key (the admin token cannot use the portal).'
          : `Could not sign in: ${cause instanceof Error ? cause.message : String(cause)}`;
    error.hidden = false;
    input.focus();
  }
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

async function loadSubscriptions() {
  /** @type {any[]} */
  const all = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: '100' });
    if (cursor) query.set('cursor', cursor);
    const page = await api('GET', `/v1/subscriptions?${query}`);
    all.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  state.subscriptions = all;
  drawSubscriptions();
}

function drawSubscriptions() {
  const list = $('subscription-list');
  list.replaceChildren(...state.subscriptions.map(subscriptionItem));
  $('no-subscriptions').hidden = state.subscriptions.length > 0;
}

/** @param {any} subscription */
function subscriptionItem(subscription) {
  const urlId = `sub-url-${subscription.id}`;
  const button = (/** @type {string} */ label, /** @type {string} */ action, extra = {}) =>
    h(
      'button',
      { type: 'button', 'data-action': action, 'aria-describedby': urlId, ...extra },
      label,
    );
  return h(
    'li',
    {
      class: `subscription${subscription.id === state.selectedId ? ' selected' : ''}`,
      'data-id': subscription.id,
    },
    h(
      'div',
      { class: 'subscription-main' },
      h(
        'span',
        { class: `badge ${subscription.enabled ? 'ok' : 'off'}` },
        subscription.enabled ? 'Enabled' : 'Disabled',
      ),
      h('span', { class: 'url', id: urlId }, subscription.url),
      h('span', { class: 'topics' }, `Topics: ${subscription.topics.join(', ')}`),
      subscription.description ? h('span', { class: 'muted' }, subscription.description) : null,
      subscription.rateLimit
        ? h('span', { class: 'muted' }, `At most ${subscription.rateLimit} deliveries a second`)
        : null,
      subscription.disabledReason
        ? h('span', { class: 'muted' }, `Disabled: ${subscription.disabledReason}`)
        : null,
    ),
    h(
      'div',
      { class: 'actions' },
      button('Deliveries', 'open', {
        'aria-current': subscription.id === state.selectedId ? 'true' : undefined,
      }),
      canChange() ? button('Edit', 'edit') : null,
      canChange() ? button(subscription.enabled ? 'Disable' : 'Enable', 'toggle') : null,
      canChange() ? button('Delete', 'delete', { class: 'danger' }) : null,
    ),
  );
}

/** @param {string} id */
function subscriptionById(id) {
  return state.subscriptions.find((subscription) => subscription.id === id);
}

async function onSubscriptionAction(/** @type {MouseEvent} */ event) {
  const target = event.target instanceof Element ? event.target.closest('button') : null;
  const item = target?.closest('li[data-id]');
  if (!target || !item) return;
  const subscription = subscriptionById(item.getAttribute('data-id') ?? '');
  if (!subscription) return;
  const action = target.getAttribute('data-action');
  if (action === 'open') {
    await openDetail(subscription.id);
  } else if (action === 'edit') {
    openSubscriptionForm(subscription);
  } else if (action === 'toggle') {
    await busy(target, async () => {
      await api('PATCH', subscriptionPath(subscription.id), { enabled: !subscription.enabled });
      await loadSubscriptions();
      if (state.selectedId === subscription.id) drawDetailHeader();
      notify(`Subscription ${subscription.enabled ? 'disabled' : 'enabled'}.`);
      focusAction(subscription.id, 'toggle');
    });
  } else if (action === 'delete') {
    const sure = window.confirm(
      `Delete the subscription to ${subscription.url}? Its deliveries are deleted too.`,
    );
    if (!sure) return;
    await busy(target, async () => {
      await api('DELETE', subscriptionPath(subscription.id));
      if (state.selectedId === subscription.id) closeDetail();
      await loadSubscriptions();
      notify('Subscription deleted.');
      $('new-subscription').focus();
    });
  }
}

/**
 * Puts the keyboard focus back on a subscription's button after the list is redrawn.
 * @param {string} id
 * @param {string} action
 */
function focusAction(id, action) {
  const item = [...$('subscription-list').children].find(
    (element) => element.getAttribute('data-id') === id,
  );
  const button = item?.querySelector(`button[data-action="${action}"]`);
  if (button instanceof HTMLElement) button.focus();
}

/**
 * Opens the form to create a subscription, or to edit `subscription`, at once, and reads the event
 * types again behind it, so that one declared meanwhile is offered too.
 * @param {any} [subscription]
 */
function openSubscriptionForm(subscription) {
  showSubscriptionForm(subscription);
  void refreshTopicChoices();
}

/** Reads the catalog again and, when it changed, redraws the choices of the open form. */
async function refreshTopicChoices() {
  const drawn = JSON.stringify(state.eventTypes);
  try {
    await loadEventTypes();
  } catch (error) {
    showError(error);
    return;
  }
  if ($('subscription-form').hidden || JSON.stringify(state.eventTypes) === drawn) return;
  // What is ticked stays chosen: written out when its type is no longer offered.
  const dropped = drawTopicChoices(tickedTopics());
  const input = /** @type {HTMLInputElement} */ ($('sub-topics'));
  input.value = [input.value.trim(), ...dropped].filter((text) => text.length > 0).join(', ');
}

/** @param {any} [subscription] the one to edit; none to create */
function showSubscriptionForm(subscription) {
  state.editingId = subscription?.id ?? null;
  const form = /** @type {HTMLFormElement} */ ($('subscription-form'));
  form.reset();
  $('subscription-form-title').textContent = subscription
    ? 'Edit subscription'
    : 'New subscription';
  $('subscription-submit').textContent = subscription ? 'Save' : 'Create';
  $('sub-enabled-row').hidden = !subscription;
  // A uid is given on create only.
  $('sub-uid-row').hidden = Boolean(subscription);
  $('subscription-form-error').hidden = true;
  // Declared types are ticked; patterns and undeclared topics stay written out.
  const written = drawTopicChoices(subscription?.topics ?? []);
  if (subscription) {
    /** @type {HTMLTextAreaElement} */ ($('sub-headers')).value = formatHeaders(
      subscription.headers,
    );
    /** @type {HTMLInputElement} */ ($('sub-url')).value = subscription.url;
    /** @type {HTMLInputElement} */ ($('sub-topics')).value = written.join(', ');
    /** @type {HTMLInputElement} */ ($('sub-description')).value = subscription.description ?? '';
    /** @type {HTMLInputElement} */ ($('sub-rate-limit')).value =
      subscription.rateLimit === null ? '' : String(subscription.rateLimit);
    /** @type {HTMLInputElement} */ ($('sub-enabled')).checked = subscription.enabled;
  }
  form.hidden = false;
  $('sub-url').focus();
}

function hideSubscriptionForm() {
  $('subscription-form').hidden = true;
  state.editingId = null;
}

async function onSubscriptionSubmit(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  const submit = /** @type {HTMLButtonElement} */ ($('subscription-submit'));
  const error = $('subscription-form-error');
  const url = /** @type {HTMLInputElement} */ ($('sub-url')).value.trim();
  const topics = chosenTopics();
  const description = /** @type {HTMLInputElement} */ ($('sub-description')).value.trim();
  const uid = /** @type {HTMLInputElement} */ ($('sub-uid')).value.trim();
  // Empty is no limit; anything else goes as a number, and the API says what is wrong with it.
  const rateText = /** @type {HTMLInputElement} */ ($('sub-rate-limit')).value.trim();
  const rateLimit = rateText === '' ? null : Number(rateText);
  error.hidden = true;
  if (topics.length === 0) {
    error.textContent = 'Tick an event type or write a topic.';
    error.hidden = false;
    $('sub-topics').focus();
    return;
  }
  submit.disabled = true;
  try {
    const headers = parseHeaders(/** @type {HTMLTextAreaElement} */ ($('sub-headers')).value);
    const editingId = state.editingId;
    if (editingId) {
      const enabled = /** @type {HTMLInputElement} */ ($('sub-enabled')).checked;
      await api('PATCH', subscriptionPath(editingId), {
        url,
        topics,
        description,
        headers,
        enabled,
        rateLimit,
      });
      hideSubscriptionForm();
      await loadSubscriptions();
      if (state.selectedId === editingId) drawDetailHeader();
      notify('Subscription saved.');
      focusAction(editingId, 'edit');
    } else {
      const created = await api('POST', '/v1/subscriptions', {
        url,
        topics,
        ...(description ? { description } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(uid ? { uid } : {}),
        ...(rateLimit === null ? {} : { rateLimit }),
      });
      hideSubscriptionForm();
      await loadSubscriptions();
      await openDetail(created.id);
      showSecrets({ secret: created.secret, previousSecret: null, previousSecretExpiresAt: null });
      notify('Subscription created. Its signing secret is shown below.');
    }
  } catch (cause) {
    if (cause instanceof ApiError && cause.status === 401) return;
    error.textContent = cause instanceof Error ? cause.message : String(cause);
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
}

/**
 * Draws a checkbox for each declared event type a subscription may choose (the deprecated ones
 * are not offered), ticking those among `topics`; returns the rest of `topics`, which are written
 * out in the free-text field.
 * @param {string[]} topics
 * @returns {string[]}
 */
function drawTopicChoices(topics) {
  const offered = state.eventTypes.filter((eventType) => !eventType.deprecated);
  const names = new Set(offered.map((eventType) => eventType.name));
  $('sub-event-types').hidden = offered.length === 0;
  $('sub-topics-beside').hidden = offered.length === 0;
  $('sub-event-type-list').replaceChildren(
    ...offered.map((eventType, index) => {
      const id = `sub-event-type-${index}`;
      const describedBy = eventType.description ? `${id}-description` : undefined;
      return h(
        'div',
        { class: 'check' },
        h('input', {
          id,
          type: 'checkbox',
          name: 'eventTypes',
          value: eventType.name,
          checked: topics.includes(eventType.name),
          'aria-describedby': describedBy,
        }),
        h('label', { for: id }, eventType.name),
        describedBy ? h('span', { id: describedBy, class: 'muted' }, eventType.description) : null,
      );
    }),
  );
  return topics.filter((topic) => !names.has(topic));
}

/** The event types ticked in the form. */
function tickedTopics() {
  return [...$('sub-event-type-list').querySelectorAll('input[type="checkbox"]:checked')].map(
    (input) => /** @type {HTMLInputElement} */ (input).value,
  );
}

/** The ticked event types, then the topics written out, each once. */
function chosenTopics() {
  const ticked = tickedTopics();
  const written = /** @type {HTMLInputElement} */ ($('sub-topics')).value
    .split(',')
    .map((topic) => topic.trim())
    .filter((topic) => topic.length > 0);
  return [...new Set([...ticked, ...written])];
}

/**
 * The headers typed in the form, one `name: value` a line; the server checks names and values.
 * @param {string} text
 * @returns {Record<string, string>}
 */
function parseHeaders(text) {
  /** @type {Record<string, string>} */
  const headers = {};
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Headers, line ${index + 1}: write it as name: value`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  });
  return headers;
}

/** @param {Record<string, string> | undefined} headers */
function formatHeaders(headers) {
  return Object.entries(headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Event types: the catalog of declared events, with an example payload of each

async function loadEventTypes() {
  /** @type {any[]} */
  const all = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: '100' });
    if (cursor) query.set('cursor', cursor);
    const page = await api('GET', `/v1/event-types?${query}`);
    all.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  state.eventTypes = all;
  drawEventTypes();
}

function drawEventTypes() {
  $('event-type-list').replaceChildren(...state.eventTypes.map(eventTypeItem));
  $('event-types').hidden = state.eventTypes.length === 0;
}

/** @param {any} eventType */
function eventTypeItem(eventType) {
  return h(
    'li',
    { class: 'event-type', 'data-name': eventType.name },
    h(
      'div',
      { class: 'event-type-head' },
      h('code', { class: 'topic' }, eventType.name),
      eventType.deprecated ? h('span', { class: 'badge off' }, 'Deprecated') : null,
    ),
    eventType.description
      ? h('p', { class: 'event-type-description' }, eventType.description)
      : null,
    eventType.example === null || eventType.example === undefined
      ? h('p', { class: 'muted' }, 'Data: any JSON object.')
      : h(
          'details',
          {},
          h('summary', {}, 'Example data'),
          h('pre', { class: 'snippet' }, JSON.stringify(eventType.example, null, 2)),
        ),
  );
}

// ---------------------------------------------------------------------------------------------
// One subscription: secrets, test event, deliveries

/** @param {string} id */
async function openDetail(id) {
  state.selectedId = id;
  state.deliveryLimit = DELIVERY_PAGE;
  state.deliveriesDrawn = '';
  hideSecrets();
  drawSubscriptions();
  drawDetailHeader();
  $('delivery-list').replaceChildren();
  $('no-deliveries').hidden = true;
  $('subscription-detail').hidden = false;
  $('detail-title').focus();
  $('subscription-detail').scrollIntoView({ block: 'start' });
  await refreshDeliveries();
}

function drawDetailHeader() {
  const subscription = state.selectedId ? subscriptionById(state.selectedId) : undefined;
  if (!subscription) return;
  $('detail-title').textContent = subscription.description || 'Subscription';
  $('detail-url').textContent = subscription.url;
  $('detail-meta').textContent =
    `Topics: ${subscription.topics.join(', ')} · ` +
    (subscription.enabled ? 'enabled' : 'disabled') +
    (subscription.uid ? ` · uid ${subscription.uid}` : '') +
    (Object.keys(subscription.headers ?? {}).length > 0
      ? ` · headers: ${Object.keys(subscription.headers).join(', ')}`
      : '');
}

function closeDetail() {
  const wasOpen = state.selectedId;
  state.selectedId = null;
  clearTimeout(state.refreshTimer);
  state.refreshTimer = undefined;
  $('subscription-detail').hidden = true;
  hideSecrets();
  if (wasOpen && state.apiKey) {
    drawSubscriptions();
    focusAction(wasOpen, 'open');
  }
}

/** @param {{ secret: string, previousSecret: string | null, previousSecretExpiresAt: string | null }} secrets */
function showSecrets(secrets) {
  $('secret-current').textContent = secrets.secret;
  const previous = secrets.previousSecret !== null;
  $('secret-previous-label').hidden = !previous;
  $('secret-previous-row').hidden = !previous;
  $('secret-previous').textContent = secrets.previousSecret ?? '';
  $('secret-previous-expiry').textContent = secrets.previousSecretExpiresAt
    ? ` until ${new Date(secrets.previousSecretExpiresAt).toLocaleString()}`
    : '';
  $('secret-box').hidden = false;
  $('reveal-secret').textContent = 'Hide secret';
  $('reveal-secret').setAttribute('aria-expanded', 'true');
}

function hideSecrets() {
  $('secret-box').hidden = true;
  $('secret-current').textContent = '';
  $('secret-previous').textContent = '';
  $('reveal-secret').textContent = 'Reveal secret';
  $('reveal-secret').setAttribute('aria-expanded', 'false');
}

async function onRevealSecret() {
  const id = state.selectedId;
  if (!id) return;
  if (!$('secret-box').hidden) {
    hideSecrets();
    return;
  }
  await busy(/** @type {HTMLButtonElement} */ ($('reveal-secret')), async () => {
    showSecrets(await api('GET', `${subscriptionPath(id)}/secret`));
  });
}

async function onRotateSecret() {
  const id = state.selectedId;
  if (!id) return;
  await busy(/** @type {HTMLButtonElement} */ ($('rotate-secret')), async () => {
    showSecrets(await api('POST', `${subscriptionPath(id)}/secret/rotate`));
    notify('Secret rotated. The previous one keeps signing beside it for a while.');
  });
}

async function onSendTest() {
  const id = state.selectedId;
  if (!id) return;
  await busy(/** @type {HTMLButtonElement} */ ($('send-test')), async () => {
    await api('POST', `${subscriptionPath(id)}/test`);
    notify('Test event sent; its delivery appears below.');
    await refreshDeliveries();
  });
}

/** The query of the deliveries to show: the status filter and how many. */
function deliveriesQuery() {
  const status = /** @type {HTMLSelectElement} */ ($('delivery-status')).value;
  const query = new URLSearchParams({ limit: String(state.deliveryLimit) });
  if (status) query.set('status', status);
  return query.toString();
}

/**
 * Reads the open subscription's deliveries, and again every few seconds while it stays open. A call
 * while a read is running asks for one more read after it instead of racing it.
 */
async function refreshDeliveries() {
  if (state.refreshing) {
    state.refreshAgain = true;
    return;
  }
  clearTimeout(state.refreshTimer);
  const id = state.selectedId;
  if (!id) return;
  state.refreshing = true;
  try {
    if (!document.hidden) {
      const query = deliveriesQuery();
      const page = await api('GET', `${subscriptionPath(id)}/deliveries?${query}`);
      // Drawn only if nothing changed meanwhile; otherwise the read after this one draws.
      if (state.selectedId === id && deliveriesQuery() === query) drawDeliveries(page);
    }
  } catch (error) {
    showError(error);
  } finally {
    state.refreshing = false;
    if (state.refreshAgain) {
      state.refreshAgain = false;
      void refreshDeliveries();
    } else if (state.selectedId === id && state.apiKey) {
      state.refreshTimer = setTimeout(() => void refreshDeliveries(), DELIVERY_REFRESH_MS);
    }
  }
}

/** @param {{ data: any[], nextCursor: string | null }} page */
function drawDeliveries(page) {
  const drawn = JSON.stringify(page);
  if (drawn === state.deliveriesDrawn) return; // unchanged: keep the focus and the open details
  state.deliveriesDrawn = drawn;
  const list = $('delivery-list');
  const focused =
    document.activeElement instanceof HTMLElement && list.contains(document.activeElement)
      ? document.activeElement.getAttribute('data-focus')
      : null;
  list.replaceChildren(...page.data.map(deliveryItem));
  $('no-deliveries').hidden = page.data.length > 0;
  $('more-deliveries').hidden = !page.nextCursor || state.deliveryLimit >= MAX_DELIVERIES;
  if (focused) {
    const again = [...list.querySelectorAll('[data-focus]')].find(
      (element) => element.getAttribute('data-focus') === focused,
    );
    if (again instanceof HTMLElement) again.focus();
  }
}

/** @param {any} delivery */
function deliveryItem(delivery) {
  const titleId = `delivery-${delivery.id}`;
  return h(
    'li',
    { class: `delivery ${delivery.status}`, 'data-id': delivery.id, 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'delivery-head' },
      h('span', { class: `badge ${statusClass(delivery.status)}` }, delivery.status),
      h(
        'span',
        { id: titleId, class: 'delivery-title' },
        'Event ',
        h('code', {}, delivery.eventId),
      ),
      h('span', { class: 'muted' }, 'created ', time(delivery.createdAt)),
      delivery.nextAttemptAt
        ? h('span', { class: 'muted' }, 'next attempt ', time(delivery.nextAttemptAt))
        : null,
      canChange()
        ? h(
            'button',
            {
              type: 'button',
              'data-action': 'retry',
              'data-focus': `retry:${delivery.id}`,
              'aria-describedby': titleId,
            },
            'Retry',
          )
        : null,
    ),
    delivery.lastError ? h('p', { class: 'muted' }, `Last error: ${delivery.lastError}`) : null,
    delivery.attempts.length > 0
      ? attemptsTable(delivery)
      : h('p', { class: 'muted' }, 'No attempt yet.'),
  );
}

/** @param {string} status */
function statusClass(status) {
  return status === 'succeeded' ? 'ok' : status === 'failed' ? 'bad' : 'wait';
}

/** @param {any} delivery */
function attemptsTable(delivery) {
  const cell = (/** @type {string} */ label, /** @type {(Node | string)[]} */ ...content) =>
    h('td', { 'data-label': label }, ...content);
  const rows = delivery.attempts.map((/** @type {any} */ attempt) => {
    const ok = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300;
    return h(
      'tr',
      { class: ok ? 'ok' : 'bad' },
      cell('Attempt', String(attempt.attempt)),
      cell('Time', time(attempt.startedAt)),
      cell(
        'Status',
        attempt.statusCode === null
          ? h('span', { class: 'badge bad' }, 'no answer')
          : h('span', { class: `badge ${ok ? 'ok' : 'bad'}` }, String(attempt.statusCode)),
      ),
      cell('Duration', attempt.durationMs === null ? '—' : `${attempt.durationMs} ms`),
      cell('Response', responseOf(attempt)),
    );
  });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'attempts' },
      h(
        'caption',
        { class: 'visually-hidden' },
        `Attempts of delivery of event ${delivery.eventId}`,
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Attempt', 'Time', 'Status', 'Duration', 'Response'].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}

/** @param {any} attempt */
function responseOf(attempt) {
  const text = attempt.error ?? attempt.responseSnippet ?? '';
  if (!text) return h('span', { class: 'muted' }, 'empty');
  if (text.length <= SNIPPET_PREVIEW) return h('code', { class: 'snippet' }, text);
  return h(
    'details',
    {},
    h('summary', {}, shorten(text, SNIPPET_PREVIEW)),
    h('pre', { class: 'snippet' }, text),
  );
}

async function onDeliveryAction(/** @type {MouseEvent} */ event) {
  const target = event.target instanceof Element ? event.target.closest('button') : null;
  const item = target?.closest('li[data-id]');
  if (!target || !item || target.getAttribute('data-action') !== 'retry') return;
  const id = item.getAttribute('data-id') ?? '';
  await busy(target, async () => {
    await api('POST', `/v1/deliveries/${encodeURIComponent(id)}/retry`);
    notify('Retry scheduled.');
    await refreshDeliveries();
  });
}

// ---------------------------------------------------------------------------------------------
// Live events: the SSE stream read with fetch (EventSource cannot send an Authorization header)

function startLive() {
  stopLive();
  const controller = new AbortController();
  state.live = controller;
  $('live-status').textContent = 'Connecting…';
  $('toggle-live').textContent = 'Pause';
  $('toggle-live').setAttribute('aria-pressed', 'false');
  void followEvents(controller.signal);
}

function stopLive() {
  state.live?.abort();
  state.live = null;
  $('live-status').textContent = 'Paused.';
  $('toggle-live').textContent = 'Resume';
  $('toggle-live').setAttribute('aria-pressed', 'true');
}

/** Follows the stream, resuming from the last cursor after a dropped connection. */
async function followEvents(/** @type {AbortSignal} */ signal) {
  /** @type {string | undefined} */
  let lastCursor;
  let backoff = 1000;
  while (!signal.aborted) {
    try {
      /** @type {Record<string, string>} */
      const headers = {
        Authorization: `Bearer ${state.apiKey ?? ''}`,
        Accept: 'text/event-stream',
      };
      if (lastCursor) headers['Last-Event-ID'] = lastCursor;
      const response = await fetch('/v1/events/stream', { headers, signal, cache: 'no-store' });
      if (response.status === 401) {
        signOut(refusedMessage());
        return;
      }
      if (response.status === 410) {
        lastCursor = undefined; // older than the retention: go on from now
        continue;
      }
      if (!response.ok || !response.body) throw new Error(`${response.status}`);
      $('live-status').textContent = 'Connected: events appear here as they are published.';
      backoff = 1000;
      await readEventStream(response.body, (id, data) => {
        lastCursor = id || lastCursor;
        addLiveEvent(JSON.parse(data));
      });
    } catch {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    $('live-status').textContent = 'Connection lost; reconnecting…';
    await pause(backoff);
    backoff = Math.min(backoff * 2, 30_000);
  }
}

/**
 * Calls `onEvent` with each event's `id:` and `data:` of a text/event-stream body, until it ends.
 * @param {ReadableStream<Uint8Array>} body
 * @param {(id: string, data: string) => void} onEvent
 */
async function readEventStream(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id = '';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(id, data.join('\n'));
    }
  }
}

/** @param {any} event */
function addLiveEvent(event) {
  const list = $('live-list');
  list.prepend(
    h(
      'li',
      { class: 'live-event', 'data-id': event.id },
      h('span', { class: 'topic' }, event.topic),
      h('span', { class: 'muted' }, time(event.createdAt), ` · cursor ${event.cursor}`),
      h('code', { class: 'snippet' }, shorten(JSON.stringify(event.payload), 300)),
    ),
  );
  while (list.children.length > LIVE_EVENTS_SHOWN) list.lastElementChild?.remove();
  // A delivery for the open subscription may have been made for it: look sooner.
  if (state.selectedId) void refreshDeliveries();
}

// ---------------------------------------------------------------------------------------------
// Wiring

function start() {
  $('sign-in-form').addEventListener('submit', (event) => void onSignIn(event));
  $('sign-out').addEventListener('click', () => signOut());
  $('new-subscription').addEventListener('click', () => openSubscriptionForm());
  $('subscription-cancel').addEventListener('click', () => {
    hideSubscriptionForm();
    $('new-subscription').focus();
  });
  $('subscription-form').addEventListener('submit', (event) => void onSubscriptionSubmit(event));
  $('subscription-list').addEventListener('click', (event) => void onSubscriptionAction(event));
  $('close-detail').addEventListener('click', () => closeDetail());
  $('send-test').addEventListener('click', () => void onSendTest());
  $('reveal-secret').addEventListener('click', () => void onRevealSecret());
  $('rotate-secret').addEventListener('click', () => void onRotateSecret());
  $('delivery-status').addEventListener('change', () => {
    state.deliveryLimit = DELIVERY_PAGE;
    void refreshDeliveries();
  });
  $('refresh-deliveries').addEventListener('click', () => void refreshDeliveries());
  $('more-deliveries').addEventListener('click', () => {
    state.deliveryLimit = Math.min(state.deliveryLimit + DELIVERY_PAGE, MAX_DELIVERIES);
    void refreshDeliveries();
  });
  $('delivery-list').addEventListener('click', (event) => void onDeliveryAction(event));
  $('toggle-live').addEventListener('click', () => (state.live ? stopLive() : startLive()));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('subscription-form').hidden) {
      hideSubscriptionForm();
      $('new-subscription').focus();
    }
  });

  const linked = takeLinkToken();
  if (linked) {
    signIn(linked).catch((/** @type {unknown} */ cause) =>
      signOut(
        cause instanceof ApiError && cause.status === 401
          ? 'This portal link has ended or was revoked. Ask for a new one.'
          : 'Could not open the portal link. Try again, or ask for a new one.',
      ),
    );
    return;
  }
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) {
    signIn(saved).catch(() => signOut('Sign in again.'));
  } else {
    $('api-key').focus();
  }
}

start();
