import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PERSONAL, REFUND_APP_MSG } from './fixtures/inspector-agents.fixture';
import { cliJson, produceLog, runCli, type ProducedLog } from './support/produce-log';

let log: ProducedLog;
beforeAll(async () => {
  log = await produceLog();
});
afterAll(() => rmSync(log.dir, { recursive: true, force: true }));

/** The refund run's own app lines as pino wrote them: the oracle for the counts. */
const appLinesOf = (runId: string) => log.lines.filter((l) => l.run_id === runId && l.schema !== 'agent-log/1');

const RAW = [PERSONAL.email, PERSONAL.card, PERSONAL.card.replace(/ /g, ''), PERSONAL.key];
const SCRUBBED = 'refund for [email] card [card] token [api_key]';

function expectNoPersonalData(text: string) {
  for (const raw of RAW) expect(text).not.toContain(raw);
}

interface ShowJson {
  app_log_count: number;
  app_logs?: { run_id: string; level: string; context?: string; msg: string }[];
}

describe("agent-log and the app's own log lines: left out unless asked for", () => {
  it('the planted line is in the log as written, and it is the refund run\'s only app line', () => {
    const written = appLinesOf(log.runIds.refunds);
    expect(written.map((l) => l.msg)).toEqual([REFUND_APP_MSG]);
  });

  it('show, text and --json: no app message, only how many app lines there are and how to see them', () => {
    const count = appLinesOf(log.runIds.refunds).length;
    const text = runCli(['show', log.runIds.refunds, log.file]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`${count} app log line in this run not shown`);
    expect(text.stdout).toContain('agent-log show --app-logs');
    expect(text.stdout + text.stderr).not.toContain('refund for');
    expectNoPersonalData(text.stdout + text.stderr);

    const raw = runCli(['show', log.runIds.refunds, log.file, '--json']).stdout;
    const json = JSON.parse(raw) as ShowJson;
    expect(json.app_log_count).toBe(count);
    expect(json.app_logs).toBeUndefined();
    expect(raw).not.toContain('refund for');
    expectNoPersonalData(raw);
  });

  it('html: the shareable page holds no app message, only the count and the hint; --all takes no --app-logs', () => {
    const out = join(log.dir, 'refund.html');
    const written = cliJson<{ app_log_count: number; app_logs_included: boolean }>(['html', log.runIds.refunds, log.file, '-o', out]);
    expect(written).toMatchObject({ app_log_count: appLinesOf(log.runIds.refunds).length, app_logs_included: false });
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('1 app log line in this run not shown');
    expect(page).toContain('agent-log html --app-logs');
    expect(page).not.toContain('refund for');
    expectNoPersonalData(page);
    expect(runCli(['html', log.runIds.refunds, log.file, '-o', out]).stdout).toContain('agent-log html --app-logs shows them');

    const all = join(log.dir, 'all.html');
    expect(runCli(['html', '--all', log.file, '-o', all]).status).toBe(0);
    expectNoPersonalData(readFileSync(all, 'utf8'));
    const refused = runCli(['html', '--all', log.file, '-o', all, '--app-logs']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('--app-logs goes with one run_id, not --all');
  });
});

describe("agent-log --app-logs: the app's own lines, scrubbed with the library's default patterns", () => {
  it('show text and --json list the line with its email, card number and sk- key replaced', () => {
    const text = runCli(['show', log.runIds.refunds, log.file, '--app-logs']);
    expect(text.stdout).toMatch(new RegExp(`the app's own log lines in the run \\(1, scrubbed\\):\\n.*\\n\\+[\\d.]+ ms\\s+warn\\s+Agents\\s+${SCRUBBED.replace(/[[\]]/g, '\\$&')}`));
    expectNoPersonalData(text.stdout + text.stderr);

    const raw = runCli(['show', log.runIds.refunds, log.file, '--app-logs', '--json']).stdout;
    const json = JSON.parse(raw) as ShowJson;
    expect(json.app_log_count).toBe(1);
    expect(json.app_logs).toEqual([expect.objectContaining({ run_id: log.runIds.refunds, level: 'warn', context: 'Agents', msg: SCRUBBED })]);
    expectNoPersonalData(raw);
  });

  it('html --app-logs puts the scrubbed line on the page, never the raw one', () => {
    const out = join(log.dir, 'refund-with-app-logs.html');
    expect(cliJson(['html', log.runIds.refunds, log.file, '-o', out, '--app-logs'])).toMatchObject({ app_logs_included: true });
    const page = readFileSync(out, 'utf8');
    expect(page).toContain("The app's own log lines in the run (1, scrubbed with the library's default patterns)");
    expect(page).toContain(SCRUBBED);
    expect(page).not.toContain('not shown');
    expectNoPersonalData(page);
  });
});
