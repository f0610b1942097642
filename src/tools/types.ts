/** A JSON Schema object as sent to the model (kept loose on purpose: it is data for the model). */
export type JsonSchema = Record<string, unknown>;
