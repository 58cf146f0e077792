import { runProcess } from '../service/run';

// `npm run api`: the HTTP API only (stateless: run several behind a load balancer).
void runProcess(() => ({ api: true, queues: [], bootstrap: false }));
