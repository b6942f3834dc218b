import { describe, expect, it } from 'vitest';
import { stackJsonSchema } from '../../src/config/json-schema.js';
import { PROVIDERS } from '../../src/providers/registry.js';

describe('stackJsonSchema', () => {
  const schema = stackJsonSchema(PROVIDERS) as {
    $schema: string;
    title: string;
    additionalProperties: boolean;
    required: string[];
    properties: { services: { additionalProperties: { additionalProperties: boolean; properties: Record<string, unknown> } } };
  };

  it('is a closed draft 2020-12 schema with a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toBe('stack.yaml');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version', 'services']);
  });

  it('describes every service key and closes the service object', () => {
    const service = schema.properties.services.additionalProperties;
    expect(service.additionalProperties).toBe(false);
    expect(Object.keys(service.properties)).toContain('dependsOn');
    expect(Object.keys(service.properties)).toHaveLength(32);
    expect(service.properties.replicas).toMatchObject({ type: 'integer', minimum: 1, maximum: 64 });
    // A schedule: the short form or the long one, whose overlap an editor completes.
    expect((service.properties.schedule as { anyOf: { properties: Record<string, unknown> }[] }).anyOf[1]?.properties.overlap).toMatchObject({ enum: ['skip', 'queue', 'replace'] });
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
