/**
 * multipart/form-data bodies for the fake platform APIs, parsed by hand: grammY writes
 * its part headers without the spaces (`content-disposition:form-data;name="…"`) and
 * leaves file names unquoted, which undici's strict parser refuses.
 */
export interface Upload {
  fileName: string;
  bytes: Buffer;
}

export function parseMultipart(raw: Buffer, contentType: string): { fields: Record<string, string>; files: Map<string, Upload> } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1] ?? '';
  const fields: Record<string, string> = {};
  const files = new Map<string, Upload>();
  const delimiter = Buffer.from(`--${boundary}`);
  let at = raw.indexOf(delimiter);
  while (at >= 0) {
    const next = raw.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    // Each part: CRLF, headers, a blank line, the content, CRLF before the next delimiter.
    const part = raw.subarray(at + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /;\s*name="([^"]*)"/i.exec(headers)?.[1] ?? '';
    const fileName = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
    if (fileName === undefined) fields[name] = content.toString('utf8');
    else files.set(name, { fileName, bytes: Buffer.from(content) });
    at = next;
  }
  return { fields, files };
}
