import { Command, CommanderError, Option } from 'commander';
import { formatInputError, InputError, inputErrors } from '../kernel/errors.js';
import { scenarioJsonSchema } from '../workload/schema.js';
import { ciCommand, type CiCliOptions } from './commands/ci.js';
import { compareCommand, type CompareOptions } from './commands/compare.js';
import { explainCommand } from './commands/explain.js';
import { exploreCommand, type ExploreCliOptions } from './commands/explore.js';
import { listCommand } from './commands/list.js';
import { mergeCommand, type MergeOptions } from './commands/merge.js';
import { reportCommand, type ReportCliOptions } from './commands/report.js';
import { replayCommand, type ReplayCliOptions } from './commands/replay.js';
import { runCommand, type RunCliOptions } from './commands/run.js';
import { validateCommand } from './commands/validate.js';
import { processIo, VERSION, type Io } from './context.js';
import { loadBranches, PLATFORMS } from './load.js';

export { parseBuiltins } from './load.js';
export { serveJobs } from './jobs.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function common(cmd: Command): Command {
  return cmd
    .option('--branch <name>', 'branch (or a branch file) overriding the scenario\'s branch')
    .option('--set <knob=value>', 'knob or platform fact override, repeatable', collect)
    .option('--platform <name>', 'espressobin | arm32-lpae')
    .option('--seed <n>', 'seed for every random choice of the model')
    .option('--duration <time>', 'simulated time of traffic, e.g. 500ms, 30s')
    .option('--json <file>', 'write the JSON report (- for stdout)')
    .option('--junit <file>', 'write a JUnit XML file')
    .option('--pcap-out <file>', 'write the frames the NIC received as pcapng (run, replay)')
    .option('--holders', 'who holds the pool pages: a page-pool-get-like view per interval and at the end')
    .option('-i, --interval <time>', 'length of one interval of the table and the pool samples (default 1s)')
    .option('--csv <file>', 'write the pool samples per interval as CSV')
    .option('--html <file>', 'write a self-contained HTML report with charts of the pool over time')
    .option('--quiet', 'only the closing line')
    .option('--no-color', 'no colour')
    .option('--no-progress', 'no progress indicator')
    .option('--debug', 'stack traces for internal errors');
}

/** Builds the command line; actions store their exit code. */
export function buildProgram(io: Io, setCode: (c: number) => void): Command {
  const program = new Command('pp-sim');
  program
    .description('page_pool recycling test harness on a simulated Espressobin/mvneta network stack')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { io.stdout(s); },
      writeErr: (s) => { io.stderr(s); },
      // argument-parser errors read like every other pp-sim error: "pp-sim: unknown option '--x'"
      outputError: (s, write) => { write(`pp-sim: ${s.replace(/^error: /, '')}`); },
    })
    .addOption(new Option('--debug', 'stack traces for internal errors').hideHelp());
  common(program.command('run <scenario>').description('run one scenario: a built-in name (multicast) or a YAML file')).action(
    (scenario: string, o: RunCliOptions) => { setCode(runCommand(io, scenario, o)); },
  );
  common(program.command('replay <capture>').description('replay a pcap/pcapng capture through the board (frames it did not send enter its NIC)'))
    .option('--to <ip>', "the board's address (ip or ip:port); default: of the two busiest addresses, the one that sent fewer frames")
    .option('--timing <t>', 'recorded (default: each frame at its recorded time) | line (back to back at line rate)')
    .option('--udp-sockets <n>', 'sockets joined to each multicast group (default 1)')
    .option('--taps <n>', 'AF_PACKET taps on eth0 (default 0)')
    .option('--reader <r>', 'fast | slow | stalled (default fast)')
    .option('--mtu <n>', 'nic.mtu (default 1500; jumbo frames need a matching MTU)')
    .action((capture: string, o: ReplayCliOptions) => { setCode(replayCommand(io, capture, o)); });
  program
    .command('compare <branch...>')
    .description('same traffic, same seed, branches side by side (default: the test notes\' workloads)')
    .option('--scenario <s>', 'scenario name or file, repeatable', collect)
    .option('--set <knob=value>', 'knob or platform fact override, repeatable', collect)
    .option('--platform <name>', 'espressobin | arm32-lpae')
    .option('--seed <n>', 'seed')
    .option('--duration <time>', 'simulated time of traffic for every scenario')
    .option('--jobs <n>', 'cases run at once, each on its own thread (default: the number of cores)')
    .option('--json <file>', 'write pp-sim/compare@1 JSON (- for stdout)')
    .option('-i, --interval <time>', 'length of one interval of the pool samples (default 1s)')
    .option('--csv <file>', 'write the pool samples per interval as CSV')
    .option('--html <file>', 'write an HTML report: the branches overlaid on one chart per metric')
    .option('--quiet', 'no tables')
    .option('--no-color', 'no colour')
    .option('--no-progress', 'no progress indicator')
    .option('--debug', 'stack traces for internal errors')
    .action((branches: string[], o: CompareOptions) => {
      setCode(compareCommand(io, branches, o));
    });
  program
    .command('ci [paths...]')
    .description('run every scenario (default: the built-in ones) with its expect block; CI output formats')
    .option('--branch <name>', 'run every scenario under this branch (or branch file); expectations stay the files\'')
    .option('--set <knob=value>', 'knob or platform fact override, repeatable', collect)
    .option('--platform <name>', 'espressobin | arm32-lpae')
    .option('--seed <n>', 'seed for every scenario')
    .option('--duration <time>', 'simulated time of traffic for every scenario, e.g. 200ms')
    .option('--shard <i/N>', 'run the i-th of N slices of the cases (1-based; combine with pp-sim merge)')
    .option('--jobs <n>', 'cases run at once, each on its own thread (default: the number of cores)')
    .option('--json <file>', 'write pp-sim/ci@1 JSON: summary and reports (- for stdout)')
    .option('-i, --interval <time>', 'length of one interval of the pool samples (default 1s)')
    .option('--csv <file>', 'write the pool samples per interval as CSV')
    .option('--html <file>', 'write an HTML report with charts of every case')
    .option('--junit <file>', 'write a JUnit XML file (one testcase per scenario and branch)')
    .option('--quiet', 'only the closing line')
    .option('--no-color', 'no colour')
    .option('--no-progress', 'no progress indicator')
    .option('--debug', 'stack traces for internal errors')
    .action((paths: string[], o: CiCliOptions) => { setCode(ciCommand(io, paths, o)); });
  program
    .command('merge <file...>')
    .description('combine the --json files of ci shards; checks every case ran exactly once')
    .option('--json <file>', 'write the merged pp-sim/ci@1 JSON (- for stdout)')
    .option('--junit <file>', 'write a JUnit XML file')
    .option('--quiet', 'only the closing line')
    .option('--no-color', 'no colour')
    .option('--debug', 'stack traces for internal errors')
    .action((files: string[], o: MergeOptions) => { setCode(mergeCommand(io, files, o)); });
  program
    .command('explore')
    .description('generate kernel operation sequences on a branch; shrink each finding to a step scenario')
    .option('--branch <name>', 'branch (or a branch file) to explore (default upstream-6.1)')
    .option('--set <knob=value>', 'knob or platform fact override, repeatable', collect)
    .option('--platform <name>', 'espressobin | arm32-lpae')
    .option('--seed <n>', 'seed of the generator (default 1): same seed and options, same findings')
    .option('--runs <n>', 'sequences to generate (default 1000)')
    .option('--max-steps <k>', 'steps per sequence at most (default 12)')
    .option('--time-limit <time>', 'stop generating after this wall-clock time, e.g. 60s')
    .option('--mtu <n>', 'nic.mtu of the explored board (default 9000: multi-buffer frames occur)')
    .option('--xdp <verdict>', 'XDP program verdict: none | pass | drop | tx | redirect (default none)')
    .option('--out <dir>', 'write each finding as a step scenario file')
    .option('--jobs <n>', 'sequences run at once, each on its own thread (default: the number of cores)')
    .option('--json <file>', 'write pp-sim/explore@1 JSON (- for stdout)')
    .option('--expect-clean', 'exit 1 when anything is found (CI on a design under review)')
    .option('--quiet', 'only the closing line')
    .option('--no-progress', 'no progress indicator')
    .option('--debug', 'stack traces for internal errors')
    .action((o: ExploreCliOptions) => { setCode(exploreCommand(io, o)); });
  program
    .command('report <file...>')
    .description('render saved JSON reports (run, replay, compare, ci --json) as HTML or CSV')
    .option('--html <file>', 'write the HTML report')
    .option('--csv <file>', 'write the pool samples as CSV')
    .option('--debug', 'stack traces for internal errors')
    .action((files: string[], o: ReportCliOptions) => { setCode(reportCommand(io, files, o)); });
  program
    .command('explain <name>')
    .description('what a violation kind, leak kind, branch, knob, platform, step (skb_try_coalesce) or seed means, and where it comes from')
    .option('--no-color', 'no colour')
    .action((name: string, o: { color?: boolean }) => { setCode(explainCommand(io, name, o)); });
  program
    .command('list [what]')
    .description('list scenarios | branches | knobs | platforms | violations | leaks')
    .option('--json', 'print pp-sim/list@1 JSON instead of text columns')
    .action((what: string | undefined, o: { json?: boolean }) => { setCode(listCommand(io, what, o)); });
  program
    .command('validate <file...>')
    .description('schema and semantic check of scenario files; nothing is run')
    .option('--branch <name>', 'check against this branch')
    .option('--set <knob=value>', 'knob override, repeatable', collect)
    .option('--platform <name>', 'platform')
    .action((files: string[], o: { branch?: string; set?: string[]; platform?: string }) => { setCode(validateCommand(io, files, o)); });
  program
    .command('schema')
    .description('print a JSON Schema of scenario files (for editors)')
    .action(() => {
      const { branches } = loadBranches();
      const names = { branches: branches.flatMap((b) => [b.name, ...b.aliases]), platforms: PLATFORMS.map((p) => p.name) };
      io.stdout(`${JSON.stringify(scenarioJsonSchema(names), null, 2)}\n`);
      setCode(0);
    });
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 findings/failed expectations, 2 input error, 3 internal error). */
export function main(argv: readonly string[], io: Io = processIo): number {
  let code = 0;
  const debug = argv.includes('--debug');
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length === 0) {
    // a usage error: usage on stderr, exit 2 (README "Exit codes")
    io.stderr(program.helpInformation());
    io.stderr('pp-sim: a command is needed (pp-sim help <command> for its options)\n');
    return 2;
  }
  try {
    program.parse(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof InputError) {
      // a command-line error (--set, --branch) found once per file is one error
      const all = [...new Set(inputErrors(e).map(formatInputError))];
      for (const one of all) io.stderr(`pp-sim: ${one}\n`);
      if (all.length > 1) io.stderr(`pp-sim: ${String(all.length)} errors\n`);
      return 2;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    const first = err.message.split('\n')[0] ?? '';
    io.stderr(`pp-sim: internal error: ${first}\n`);
    io.stderr(debug ? `${err.stack ?? ''}\n` : `This is a bug in pp-sim ${VERSION}: please open an issue in the pp-sim repository with the command line and the scenario file (--debug prints the stack).\n`);
    return 3;
  }
}

