// What keeps secrets out of text for people; the values are known to config/sensitive.ts.

/** Where a text was cut: at its start, at its end, and/or wherever `mark` stands in it. */
export interface CutEdges {
  start?: boolean;
  end?: boolean;
  mark?: string;
}

/** Replaces the secret values it knows in free text; `cut` says where the text was cut. */
export type Redact = (text: string, cut?: CutEdges) => string;

/** The redactor of a stack with no secret: every text as it is. */
export const redactNothing: Redact = (text) => text;
