/**
 * json-schema rewards on schemas that name an older draft, or draft-07 spelt with https, in
 * "$schema": Ajv holds no meta-schema for them and refused to compile every one ("no schema
 * with key or ref"), so each task ran and was left unscored. They are read as draft-07, as a
 * schema without "$schema" is; what draft-07 cannot read is named with what to change.
 */
import { describe, expect, it } from 'vitest';
import { jsonSchemaReward } from '../../src/rl/rewards/builtin.js';

const person = ($schema: string) => ({ type: 'json-schema' as const, schema: { $schema, type: 'object', required: ['name'], properties: { name: { type: 'string' } } } });

describe('json-schema reward: the draft a schema declares', () => {
  it.each(['http://json-schema.org/draft-04/schema#', 'http://json-schema.org/draft-06/schema#', 'https://json-schema.org/draft-07/schema#'])('scores answers against a schema declaring %s', async ($schema) => {
    await expect(jsonSchemaReward('{"name": "Ada"}', undefined, person($schema))).resolves.toEqual({ score: 1 });
    await expect(jsonSchemaReward('{"age": 36}', undefined, person($schema))).resolves.toMatchObject({ score: 0, reason: expect.stringContaining("must have required property 'name'") });
  });

  it('says what to change in a draft-04 schema draft-07 cannot read (a boolean exclusiveMinimum)', async () => {
    const spec = { type: 'json-schema' as const, schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'number', minimum: 0, exclusiveMinimum: true } };
    await expect(jsonSchemaReward('5', undefined, spec)).rejects.toThrow(/does not compile: .*exclusiveMinimum must be number.*was read as draft-07: write draft-04's "id" as "\$id", and a boolean exclusiveMinimum\/exclusiveMaximum as the bound itself/);
  });

  it('still reads the drafts Ajv knows under their own rules', async () => {
    // 2020-12's prefixItems means nothing in draft-07: a schema declaring 2020-12 must still get it.
    const tuple = { type: 'json-schema' as const, schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'string' }] } };
    await expect(jsonSchemaReward('[1]', undefined, tuple)).resolves.toMatchObject({ score: 0 });
    await expect(jsonSchemaReward('["a"]', undefined, tuple)).resolves.toEqual({ score: 1 });
  });
});
