import type { Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';

/** The path templates of `controllers`' routes, as Nest declares them: `/v1/events/:id`. */
export function routeTemplates(controllers: readonly Type[]): string[] {
  return controllers.flatMap((controller) => {
    const base = pathsOf(controller);
    const prototype = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(prototype).flatMap((name) => {
      const handler = prototype[name];
      if (
        typeof handler !== 'function' ||
        Reflect.getMetadata(METHOD_METADATA, handler) === undefined
      )
        return [];
      return base.flatMap((prefix) => pathsOf(handler).map((path) => joinPath(prefix, path)));
    });
  });
}

/**
 * Whether a request path (its query string aside) is one of `templates` under any prefix the host
 * set (`app.setGlobalPrefix`), which the module cannot see.
 */
export function routeMatcher(templates: readonly string[]): (url: string) => boolean {
  const patterns = templates.map(
    (template) =>
      new RegExp(
        `^(?:/.*)?${template
          .split('/')
          .map((part) => (part.startsWith(':') ? '[^/]+' : escape(part)))
          .join('/')}/?$`,
      ),
  );
  return (url) => {
    const path = url.split('?', 1)[0];
    return patterns.some((pattern) => pattern.test(path));
  };
}

/** Whether a route template a host registered (`/api/v1/events/:id`) is one of `templates`. */
export function isRouteOf(templates: readonly string[], url: string): boolean {
  const path = url.length > 1 ? url.replace(/\/$/, '') : url;
  return templates.some((template) => path === template || path.endsWith(template));
}

function pathsOf(target: object): string[] {
  const path = Reflect.getMetadata(PATH_METADATA, target) as string | string[] | undefined;
  return Array.isArray(path) ? path : [path ?? ''];
}

function joinPath(...parts: string[]): string {
  const path = parts
    .flatMap((part) => part.split('/'))
    .filter((part) => part !== '')
    .join('/');
  return `/${path}`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
