import { parseQueues, runProcess } from '../service/run';

// `npm run worker [-- --queue main|ocr]`: workers only, against TEMPORAL_ADDRESS and an already migrated database.
// Run as many as needed, on as many machines, per task queue.
// runProcess reports its own failures and exits the process: there is nothing for the top level to await.
void runProcess((argv) => ({ api: false, queues: parseQueues(argv), bootstrap: false }));
