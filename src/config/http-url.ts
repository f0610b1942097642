/**
 * An http:// or https:// address. A bare `z.url()` takes `localhost:11434/v1` for a URL with
 * the scheme "localhost", which then fails only at the first request, far from the setting.
 */
import { z } from 'zod';

export function httpUrl() {
  return z.url({ protocol: /^https?$/, error: 'not an http:// or https:// address (e.g. http://localhost:11434/v1)' });
}
