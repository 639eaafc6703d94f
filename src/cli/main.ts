/**
 * The `signet` entry point. It stays tiny so that `signet --version` starts as fast as Node itself; everything
 * else is loaded on demand.
 */
import { version } from './version.js';

async function run(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const { main } = await import('./program.js');
  return main(argv);
}

// Exit as soon as the command is done rather than when the event loop drains (pooled connections, timers of
// libraries). Writes to stdout and stderr are synchronous on Linux (files, pipes and terminals), so nothing
// printed is lost.
void run(process.argv.slice(2)).then((code) => process.exit(code));
