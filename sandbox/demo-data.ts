/** The demo data every sandbox starts with: catalog, users, and the users' order history. */
export * from './demo-catalog.js';
export * from './demo-orders.js';
export * from './demo-programs.js';
