/**
 * An MCP tool's `inputSchema` as Cairn sends it to the model. Servers written with pydantic (FastMCP) or
 * zod share parts through `$defs` and `$ref`, which Gemini refuses (tools/portable-schema.ts): a part that is
 * not recursive is written out in place, and a one-item `allOf` (pydantic's way of adding a description to a
 * `$ref`) merged into its parent. What is still unportable after that is named, and the tool left out.
 */
import { z } from 'zod';
import { portableSchema, unportableParts } from '../portable-schema.js';

type Schema = Record<string, unknown>;

export interface McpParameters {
  /** Checks the model's arguments before they go to the server (which checks them again). */
  parameters: z.ZodType;
  /** As the model is sent them. */
  jsonSchema: Schema;
}

/** The parameters of a listed tool, or why no provider-portable form of them exists. */
export function mcpParameters(inputSchema: Schema): McpParameters | string {
  const inlined = inlineRefs(inputSchema);
  if (typeof inlined === 'string') return inlined;
  const jsonSchema = portableSchema(inlined);
  const unportable = unportableParts(jsonSchema);
  if (unportable.length > 0) return `its parameters use what some model providers refuse (${unportable.join('; ')})`;
  let parameters: z.ZodType;
  try {
    parameters = z.fromJSONSchema(inlined as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    // A keyword zod cannot check: the server checks the arguments itself, and its refusal is what the model reads.
    parameters = z.looseObject({});
  }
  return { parameters, jsonSchema };
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema with its local `$ref`s written out; a recursive one is named instead. */
function inlineRefs(root: Schema): Schema | string {
  const defs: Schema = { ...(isSchema(root.definitions) ? root.definitions : {}), ...(isSchema(root.$defs) ? root.$defs : {}) };
  let problem: string | undefined;
  const walk = (node: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, seen));
    if (!isSchema(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
      const target = name === undefined ? undefined : defs[decodeURIComponent(name.replace(/~1/g, '/').replace(/~0/g, '~'))];
      if (!isSchema(target)) {
        problem ??= `its parameters refer to ${ref}, which is not in the schema`;
        return node;
      }
      if (seen.includes(ref)) {
        problem ??= `its parameters are recursive (${ref} holds itself), which no provider's tool format can say`;
        return node;
      }
      const { $ref: _ref, ...beside } = node;
      void _ref;
      return walk({ ...target, ...beside }, [...seen, ref]);
    }
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$defs' || key === 'definitions') continue;
      // A default or example is data, not schema: a "$ref" key in it is left as it is.
      out[key] = key === 'default' || key === 'example' || key === 'examples' || key === 'const' || key === 'enum' ? value : key === 'properties' && isSchema(value) ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, walk(sub, seen)])) : walk(value, seen);
    }
    const allOf = out.allOf;
    if (Array.isArray(allOf) && allOf.length === 1 && isSchema(allOf[0])) {
      delete out.allOf;
      return { ...allOf[0], ...out };
    }
    return out;
  };
  const result = walk(root, []) as Schema;
  return problem ?? result;
}
