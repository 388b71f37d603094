// PLACEHOLDER owned by the gate work (issue 4).
export type { GateEvent } from './events.js';
export type { MfaRecord } from './record.js';
