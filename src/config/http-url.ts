/**
 * An http:// or https:// address. A bare `z.url()` takes `localhost:11434/v1` for a URL with
 * the scheme "localhost", which then fails only at the first request, far from the setting.
 */
import { z } from 'zod';

export function httpUrl() {
  return z.url({ protocol: /^https?$/, error: 'not an http:// or https:// address (e.g. http://localhost:11434/v1)' });
}

/**
 * The root of an API that a library puts paths after (`${root}/bot…/getMe`, `${root}/v10/…`,
 * `${root}/sandbox`), with trailing slashes dropped: grammY refuses an apiRoot ending in `/` (so
 * Telegram failed with words about an option nobody set), and discord.js and Daytona's SDK would
 * ask for `//v10/…` and `//sandbox`.
 */
export function apiRootUrl() {
  return httpUrl().transform((url) => url.replace(/\/+$/, ''));
}
