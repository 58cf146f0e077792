import { DefaultLogger, Runtime } from '@temporalio/worker';

// Worker state changes and bundling messages drown the test output; warnings and errors still show.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed for this worker process.
}
