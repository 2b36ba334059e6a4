/**
 * Registers the evidence commands (`keygen`, `log …`, `cert verify`) on the `writ` program. The options that
 * `decide` takes to certify its decision (`--log`, `--key`, `--bundle`) are declared with `decide` itself.
 * Each command's module is imported only when that command runs.
 */
import type { Command } from 'commander';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * @param p - the program.
 * @param done - receives each command's exit code.
 */
export function registerEvidenceCommands(p: Command, done: (code: number) => void): void {
  p.command('keygen')
    .description('create an Ed25519 key pair that signs a decision log\'s checkpoints (<prefix>.key, mode 0600, and <prefix>.pub)')
    .requiredOption('--name <origin>', 'key name, which is also the log\'s checkpoint origin (e.g. example.com/writ-log)')
    .requiredOption('--out <prefix>', 'write <prefix>.key and <prefix>.pub')
    .option('--force', 'overwrite existing key files')
    .option('--json', 'print the result as JSON')
    .action(async (o: { name: string; out: string; force?: boolean; json?: boolean }) => {
      const { runKeygen } = await import('../commands/keygen.js');
      done(runKeygen(o));
    });

  const log = p
    .command('log')
    .description('audit a decision log written by decide --log, and produce inclusion and consistency proofs from it');
  log
    .command('verify')
    .description('re-hash every entry, check the latest checkpoint\'s signature and root, and the chain of stored checkpoints; exit 1 if anything is wrong')
    .argument('<dir>', 'log directory')
    .requiredOption('--pubkey <file>', 'the log\'s public key (<prefix>.pub)')
    .option('--trusted <file>', 'a checkpoint or bundle seen earlier: the log must still extend it (repeatable)', collect)
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, o: { pubkey: string; trusted?: string[]; json?: boolean }) => {
      const { runLogVerify } = await import('../commands/log.js');
      done(await runLogVerify(dir, o));
    });
  log
    .command('checkpoint')
    .description('print the latest signed checkpoint (C2SP tlog-checkpoint note)')
    .argument('<dir>', 'log directory')
    .option('--json', 'print origin, tree size, root and the note as JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const { runLogCheckpoint } = await import('../commands/log.js');
      done(await runLogCheckpoint(dir, o));
    });
  log
    .command('prove')
    .description('print the RFC 9162 inclusion proof of one entry as JSON (base64 hashes)')
    .argument('<dir>', 'log directory')
    .requiredOption('--index <n>', 'leaf index of the entry')
    .option('--size <m>', 'tree size to prove against (default: the latest checkpoint\'s)')
    .action(async (dir: string, o: { index: string; size?: string }) => {
      const { runLogProve } = await import('../commands/log.js');
      done(await runLogProve(dir, o));
    });
  log
    .command('consistency')
    .description('print the RFC 9162 consistency proof between two tree sizes as JSON (base64 hashes)')
    .argument('<dir>', 'log directory')
    .requiredOption('--from <size>', 'older tree size (at least 1)')
    .option('--to <size>', 'newer tree size (default: the latest checkpoint\'s)')
    .action(async (dir: string, o: { from: string; to?: string }) => {
      const { runLogConsistency } = await import('../commands/log.js');
      done(await runLogConsistency(dir, o));
    });

  p.command('cert')
    .description('check decision certificates')
    .command('verify')
    .description('verify an evidence bundle offline with only the log\'s public key; exit 0 valid, 1 invalid (with the reason)')
    .argument('<bundle>', 'bundle JSON file written by decide --bundle')
    .requiredOption('--pubkey <file>', 'the log\'s public key (<prefix>.pub)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { pubkey: string; json?: boolean }) => {
      const { runCertVerify } = await import('../commands/cert.js');
      done(runCertVerify(file, o));
    });
}
