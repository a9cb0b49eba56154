export * from './manifest.js';
export * from './clock.js';
export * from './assignment.js';
export * from './naming.js';
