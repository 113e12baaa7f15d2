/**
 * JUnit reports as real tools wrote them (test/fixtures/junit/, each citing where it comes from),
 * and the ways a report can be broken or hostile.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  decodeXmlText,
  JUNIT_LIMITS,
  parseJUnit,
  type TestCaseResult,
} from '../../../../../src/services/core/test-results/junit.js';

const fixture = (name: string) =>
  parseJUnit(name, readFileSync(new URL(`../../../../fixtures/junit/${name}`, import.meta.url)));
const named = (cases: readonly TestCaseResult[], name: string) => cases.find((c) => c.name === name);

describe('parseJUnit on real reports', () => {
  it('reads jest-junit: per-file suites, failures as body text whose first line is the message', () => {
    const report = fixture('jest-junit.xml');
    expect(report.warnings).toEqual([]);
    expect(report.totals).toEqual({ tests: 6, failures: 4, errors: 0, skipped: 1, timeSeconds: 0.007 });
    const failing = named(report.cases, 'Failing test')!;
    expect(failing).toMatchObject({
      suite: '__tests__\\main.test.js',
      classname: 'Test 1 › Test 1.1',
      result: 'failed',
      message: 'Error: expect(received).toBeTruthy()',
    });
    // &lt;anonymous&gt; in the body is decoded once.
    expect(named(report.cases, 'Exception in test')!.details).toContain('at Object.<anonymous> (');
    expect(named(report.cases, 'Skipped test')).toEqual({
      suite: '__tests__\\second.test.js',
      classname: '',
      name: 'Skipped test',
      timeSeconds: 0,
      result: 'skipped',
    });
  });

  it('reads pytest --junitxml in a <testsuites> wrapper: skip and xfail are skipped, failures keep their message', () => {
    const report = fixture('pytest-junitxml.xml');
    expect(report.warnings).toEqual([]);
    expect(report.totals).toMatchObject({ tests: 10, failures: 2, errors: 0, skipped: 2 });
    expect(named(report.cases, 'test_always_fail')).toMatchObject({
      suite: 'pytest',
      classname: 'tests.test_lib',
      result: 'failed',
      message: 'assert False',
    });
    expect(named(report.cases, 'test_always_fail')!.details).toContain('> assert False');
    expect(named(report.cases, 'test_expected_failure')!.result).toBe('skipped');
    expect(named(report.cases, 'test_always_skip')!.message).toBe('skipped');
    expect(named(report.cases, 'test_parameterized[param1]')!.result).toBe('passed');
  });

  it('reads a one-line pytest report with newlines as character references in the message', () => {
    const report = fixture('pytest-one-line.xml');
    expect(report.totals).toMatchObject({ tests: 3, failures: 2 });
    expect(named(report.cases, 'test_which_fails')!.message).toBe(
      "AssertionError: assert 'test' == 'xyz'\n  - xyz\n  + test",
    );
  });

  it('reads go-junit-report: one suite per package, CDATA bodies, skips with their reason', () => {
    const report = fixture('go-junit-report.xml');
    expect(report.warnings).toEqual([]);
    expect(report.totals).toEqual({ tests: 5, failures: 1, errors: 0, skipped: 2, timeSeconds: 0.461 });
    expect(named(report.cases, 'TestOne')).toMatchObject({
      suite: 'package/fail',
      classname: 'package/fail',
      timeSeconds: 0.151,
      result: 'failed',
      message: 'Failed',
    });
    expect(named(report.cases, 'TestOne')!.details).toMatch(/^fail_test\.go:6: Error message\n/);
    expect(named(report.cases, 'TestSkip')).toMatchObject({
      result: 'skipped',
      details: 'skip_test.go:6: skip message',
    });
    // A passing test's <system-out> is not a failure.
    expect(named(report.cases, 'TestPassLog')).toEqual({
      suite: 'package/pass',
      classname: 'package/pass',
      name: 'TestPassLog',
      timeSeconds: 0.1,
      result: 'passed',
    });
  });

  it('reads Maven Surefire: a <testsuite> root, <error> apart from <failure>, cases without a classname', () => {
    const circle = fixture('TEST-com.shape.CircleTest.xml');
    expect(circle.warnings).toEqual([]);
    expect(circle.totals).toEqual({ tests: 8, failures: 1, errors: 1, skipped: 0, timeSeconds: 0.05 });
    expect(named(circle.cases, 'testRadius')).toMatchObject({
      suite: 'com.shape.CircleTest',
      classname: '',
      result: 'failed',
      message: 'expected:<20> but was:<10>',
    });
    expect(named(circle.cases, 'testProperties')).toMatchObject({ result: 'error', message: '/ by zero' });

    const email = fixture('TEST-action.surefire.report.email.EmailAddressTest.xml');
    expect(email.totals).toMatchObject({ tests: 9, failures: 2, errors: 5 });
    expect(named(email.cases, 'shouldNotContainInternationalizedHostNames')!.message).toBe(
      "Invalid email address 'user@ñandú.com.ar'",
    );
  });

  it('counts a Surefire test that passed on a rerun as passed: <flakyFailure> is not a failure', () => {
    const report = fixture('TEST-org.acme.FlakyTest.xml');
    expect(report.cases.map((c) => c.result)).toEqual(['passed', 'passed']);
    expect(report.totals.failures).toBe(0);
  });

  it('decodes the predefined entities in names, messages and bodies, and accepts suites without a name', () => {
    const report = fixture('xml-entities.xml');
    expect(report.cases.map((c) => [c.suite, c.name, c.result, c.message, c.details])).toEqual([
      ['', 'Test with "quotes" in the test name', 'skipped', 'A message with "quotes"', 'Content with "quotes"'],
      [
        '',
        "Test with 'apostrophe' in the test name",
        'failed',
        "A message with 'apostrophes'",
        "Content with 'apostrophes'",
      ],
      ['', 'Test with & in the test name', 'error', 'A message with &', 'Content with &'],
      ['', 'Test with < and > in the test name', 'skipped', 'A message with < and >', 'Content with < and >'],
    ]);
  });
});

describe('parseJUnit on broken and hostile files', () => {
  it('gives a warning naming the file, not an exception, for a report that was cut off', () => {
    const report = fixture('pytest-truncated.xml');
    expect(report.cases).toEqual([]);
    expect(report.totals.tests).toBe(0);
    expect(report.warnings).toEqual([
      'pytest-truncated.xml: not valid XML: it ends before closing <testsuites> <testsuite> <testcase> <skipped>; was the file written completely?',
    ]);
  });

  it.each([
    ['an empty file', '', /^reports\/x\.xml: not valid XML: line 1: Start tag expected\.$/],
    ['plain text', 'FAIL everything', /^reports\/x\.xml: not valid XML: line 1, column 1: char 'F' is not expected\.$/],
    [
      'mismatched tags',
      '<testsuite><testcase name="a"></testsuite>',
      /^reports\/x\.xml: not valid XML: line 1, column \d+: /,
    ],
    [
      'another kind of XML',
      '<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion></project>',
      /^reports\/x\.xml: not a JUnit report: it has <project> where <testsuites> or <testsuite> was expected$/,
    ],
    [
      'a report without test cases',
      '<testsuites name="none"></testsuites>',
      /^reports\/x\.xml: a JUnit report without any <testcase>$/,
    ],
  ])('gives a warning for %s', (_what, xml, warning) => {
    const report = parseJUnit('reports/x.xml', Buffer.from(xml));
    expect(report.cases).toEqual([]);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(warning);
  });

  it('gives a warning for bytes that are not UTF-8, and for a file over the size limit', () => {
    expect(parseJUnit('a.xml', Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e])).warnings).toEqual([
      'a.xml: not read: it is not UTF-8 text',
    ]);
    const huge = parseJUnit('big.xml', Buffer.alloc(JUNIT_LIMITS.maxReportBytes + 1, 0x20));
    expect(huge.warnings).toEqual([expect.stringMatching(/^big\.xml: not read: \d+ bytes is over the limit of/)]);
  });

  it('never expands DTD entities, so a billion laughs file stays its own size', () => {
    // Not even the harmless one: an entity in a report is shown as written.
    const levels = Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join('\n');
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  ${levels}
]>
<testsuite name="&lol9;"><testcase classname="bomb &lol;" name="n &lol9;"><failure message="&lol9;">&lol9;</failure></testcase></testsuite>`;
    const started = performance.now();
    const report = parseJUnit('bomb.xml', Buffer.from(bomb));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(report.cases).toEqual([
      {
        suite: '&lol9;',
        classname: 'bomb &lol;',
        name: 'n &lol9;',
        timeSeconds: 0,
        result: 'failed',
        message: '&lol9;',
      },
    ]);
  });

  it('cuts long messages and details, saying how much was left out', () => {
    const xml = `<testsuite name="s"><testcase name="t"><failure message="${'m'.repeat(5000)}">${'d'.repeat(50_000)}</failure></testcase></testsuite>`;
    const [only] = parseJUnit('long.xml', xml).cases;
    expect(only!.message).toBe(`${'m'.repeat(JUNIT_LIMITS.maxMessageChars)}… [3000 more characters]`);
    expect(only!.details).toBe(`${'d'.repeat(JUNIT_LIMITS.maxDetailsChars)}… [40000 more characters]`);
  });

  it('takes the first <failure> or <error> of a case, nested suites, and times it cannot read as 0', () => {
    const xml = `<testsuites><testsuite name="outer" file="spec/a.rb">
      <testsuite name="inner"><testcase name="both" time="oops"><error message="teardown"/><failure message="assert"/></testcase></testsuite>
      <testcase name="plain" time="1,234.5"/></testsuite></testsuites>`;
    expect(parseJUnit('n.xml', xml).cases).toEqual([
      {
        suite: 'inner',
        classname: '',
        name: 'both',
        file: 'spec/a.rb',
        timeSeconds: 0,
        result: 'error',
        message: 'teardown',
      },
      { suite: 'outer', classname: '', name: 'plain', file: 'spec/a.rb', timeSeconds: 1234.5, result: 'passed' },
    ]);
  });
});

describe('decodeXmlText', () => {
  it('decodes once, leaves unknown entities as written, and replaces characters XML forbids', () => {
    expect(decodeXmlText('&amp;lt; &lt;b&gt; &#65;&#x42; &nbsp; &bogus;')).toBe('&lt; <b> AB &nbsp; &bogus;');
    expect(decodeXmlText('nul&#0;here&#xD800;')).toBe('nul\uFFFDhere\uFFFD');
    expect(decodeXmlText('raw\0nul')).toBe('raw\uFFFDnul');
  });
});
