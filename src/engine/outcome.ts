// The outcome types live in the model (src/model/outcome.ts), beside the failure they carry;
// kept here so imports made before the move still resolve.
export type { ApplyOutcome, ProgressEvent, ServiceOutcome, UnitStatus } from '../model/outcome.js';
