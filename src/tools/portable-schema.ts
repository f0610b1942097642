/**
 * Tool parameters in the JSON Schema every provider takes. Zod writes draft 2020-12
 * (`$schema`, `exclusiveMinimum`, `propertyNames`, `const`, ±2^53 bounds for integers); Gemini
 * takes only the OpenAPI subset and refuses the whole request for one unknown keyword ("Unknown
 * name "$schema""), so no message got an answer there. What only restates the code's own
 * checks goes; bounds become inclusive ones.
 */
type Schema = Record<string, unknown>;

const DROPPED = new Set(['$schema', 'propertyNames']);

export function portableSchema(schema: Schema): Schema {
  const out: Schema = {};
  const integer = schema.type === 'integer';
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (key === 'exclusiveMinimum' && typeof value === 'number') out.minimum = integer ? Math.floor(value) + 1 : value;
    else if (key === 'exclusiveMaximum' && typeof value === 'number') out.maximum = integer ? Math.ceil(value) - 1 : value;
    else if ((key === 'minimum' || key === 'maximum') && typeof value === 'number' && Math.abs(value) >= Number.MAX_SAFE_INTEGER) continue;
    else if (key === 'const') out.enum = [value];
    else if (key === 'properties' && isSchema(value)) out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isSchema(sub) ? portableSchema(sub) : sub]));
    else if (Array.isArray(value)) out[key] = value.map((item) => (isSchema(item) ? portableSchema(item) : item));
    else if (isSchema(value) && key !== 'default' && key !== 'example') out[key] = portableSchema(value);
    else out[key] = value;
  }
  return out;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
