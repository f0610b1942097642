/**
 * Tool parameters in the JSON Schema every provider takes. Zod writes draft 2020-12
 * (`$schema`, `exclusiveMinimum`, `propertyNames`, `const`, ±2^53 bounds for integers); Gemini
 * takes only the OpenAPI subset and refuses the whole request for one unknown keyword ("Unknown
 * name "$schema""), so no message got an answer there. What only restates the code's own
 * checks goes; bounds become inclusive ones. `oneOf` (zod's discriminated unions) becomes `anyOf`, a
 * type that may be null (`["string", "null"]`, zod's nullable) one type with `nullable`: the
 * arguments are checked by the tool's own schema in code anyway.
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
    else if (key === 'oneOf' && Array.isArray(value)) out.anyOf = value.map((item) => (isSchema(item) ? portableSchema(item) : item));
    else if (key === 'type' && Array.isArray(value) && value.includes('null') && value.length === 2) Object.assign(out, { type: value.find((type) => type !== 'null'), nullable: true });
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

/** The keywords of the OpenAPI Schema subset Gemini's function declarations take: any other refuses the whole request. */
const PORTABLE_KEYWORDS = new Set(['type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum', 'additionalProperties']);

/**
 * What a portable schema still holds that some provider refuses, each as `<where>: <what>` (empty when
 * nothing): a keyword outside the subset (`$ref` of a recursive zod schema, `prefixItems` of a tuple,
 * `allOf` of an intersection), or a `type` that is a list. Cairn's own tools hold none; a tool someone
 * adds is refused at the start for one (tools/custom), since one such tool left every message unanswered.
 */
export function unportableParts(schema: Schema, at = 'parameters'): string[] {
  const found: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if (!PORTABLE_KEYWORDS.has(key)) found.push(`${at}: "${key}"`);
    else if (key === 'type' && typeof value !== 'string') found.push(`${at}: "type" ${JSON.stringify(value)} (one type only)`);
    else if (key === 'properties' && isSchema(value)) for (const [name, sub] of Object.entries(value)) found.push(...(isSchema(sub) ? unportableParts(sub, `${at}.${name}`) : []));
    else if ((key === 'items' || key === 'additionalProperties') && isSchema(value)) found.push(...unportableParts(value, `${at}.${key === 'items' ? '[]' : '*'}`));
    else if (key === 'anyOf' && Array.isArray(value)) value.forEach((item, index) => found.push(...(isSchema(item) ? unportableParts(item, `${at}.anyOf[${index}]`) : [])));
  }
  return found;
}
