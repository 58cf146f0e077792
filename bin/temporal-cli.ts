import { loadConfig } from '../infra/config';
import { ensureTemporalCli } from '../infra/temporal-cli';

// `npm run temporal:install`: finds the Temporal CLI (TEMPORAL_CLI, PATH, Go bin folder) or builds it; prints its path.
async function main(): Promise<void> {
  const config = loadConfig();
  process.stdout.write(`${await ensureTemporalCli({ configuredPath: config.temporal.devServer.cliPath })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
