import { parseQueues, runProcess } from '../service/run';

// `npm run worker [-- --queue main|ocr]`: workers only, against TEMPORAL_ADDRESS and an already migrated database.
// Run as many as needed, on as many machines, per task queue.
void runProcess((argv) => ({ api: false, queues: parseQueues(argv), bootstrap: false }));
