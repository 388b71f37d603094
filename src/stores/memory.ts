// PLACEHOLDER owned by the gate work (issue 4): createMemoryStore() goes here.
export {};
