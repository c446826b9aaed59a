import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * The JSON Schema of the configuration file, generated from the zod schema: draft-07, which the
 * editors' YAML and JSON language servers read. Shipped as schema/patchpilot.schema.json, written by
 * `npm run schema`; a test keeps the committed file equal to this.
 */
export const configJsonSchema = (): Record<string, unknown> =>
  z.toJSONSchema(configSchema(), { target: 'draft-7', io: 'input', unrepresentable: 'throw' }) as Record<
    string,
    unknown
  >;
