import { runProcess } from '../service/run';

// `npm run api`: the HTTP API only (stateless: run several behind a load balancer).
// runProcess reports its own failures and exits the process: there is nothing for the top level to await.
void runProcess(() => ({ api: true, queues: [], bootstrap: false }));
