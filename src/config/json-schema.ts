/** The JSON Schema `stack schema` prints, so editors can check stack.yaml as it is typed. Pure. */

import { z } from 'zod';
import type { ProviderCatalog } from '../model/provider-module.js';
import { getStackSchemas } from './schema.js';

export function stackJsonSchema(providers: ProviderCatalog): Record<string, unknown> {
  // io: 'input' describes what people write (the schemas hold refinements, not transforms).
  const schema = z.toJSONSchema(getStackSchemas(providers).StackFileSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'stack.yaml',
    ...schema,
  };
}
