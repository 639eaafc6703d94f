import type { Command } from 'commander';

export async function runServe(root: Command): Promise<void> {
  process.stdout.write(root.helpInformation());
  process.stdout.write('\nThe registry (signet serve) is not available in this version yet; the commands above work today.\n');
}
