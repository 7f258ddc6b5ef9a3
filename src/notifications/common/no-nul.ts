/** Text without U+0000, the one character Postgres cannot store in text or JSON. */
// eslint-disable-next-line no-control-regex -- matching that control character is the point
export const NO_NUL = /^[^\u0000]*$/;

/** The message when {@link NO_NUL} fails; class-validator puts the property's name in it. */
export const NO_NUL_MESSAGE = '$property must not contain the character U+0000';
