import { parseQueues, runProcess } from '../service/run';

// `npm start`: the whole service in one process: Temporal dev server (unless TEMPORAL_ADDRESS is set), migrations,
// demo data, the workers of both task queues and the API.
// runProcess reports its own failures and exits the process: there is nothing for the top level to await.
void runProcess((argv) => ({ api: true, queues: parseQueues(argv), bootstrap: true }));
