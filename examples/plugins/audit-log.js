// An example plugin (CONTRACT §7): a handler that appends one JSON line per event to a file.
// Name it under `plugins:` in a flows file, then use it under `handlers:`:
//
//   plugins: [./examples/plugins/audit-log.js]
//   handlers:
//     OrderFulfilled:
//       - audit-log: { file: ./audit.log, optional: true }
//
// It imports the plugin API from the build (npm run build), as a deployed plugin would.
import { appendFile } from 'node:fs/promises';
import { defineHandler } from '../../dist/flows/plugin-api.js';

export const auditLog = defineHandler({
  name: 'audit-log',
  parseSettings(raw) {
    if (typeof raw.file !== 'string' || raw.file === '') {
      throw new Error('file must name the file to append to');
    }
    return { file: raw.file };
  },
  create: (settings) => async (run) => {
    const line = { id: run.event.id, type: run.event.type, orderId: run.event.orderId };
    // One line per (event, order): a retry after a crash may append it again, so readers
    // deduplicate by id, as any webhook receiver would.
    await appendFile(settings.file, `${JSON.stringify(line)}\n`);
    return `appended to ${settings.file}`;
  },
});
