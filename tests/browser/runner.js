// tests/browser/runner.js - the office dashboard's browser tests.
//
// The real gateway ($GATEWAY_BIN) on a fresh SQLite file with the roster in fixtures/, a
// local stand-in for the provider send API that records every SMS, and Debian's chromium
// driven by playwright-core. One browser context per test; the page is waited on with
// playwright's auto-waiting locators, never fixed sleeps. Screenshots go to
// $BROWSER_ARTIFACTS (default <dir of GATEWAY_BIN>/../browser-artifacts). Prints one
// line per test and the cmocka-style summary that tests/run.sh counts; exits non-zero on
// any failure. The temp dir is kept (and named) when a test failed.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const {chromium} = require('playwright-core');

const {Gateway, SECRET} = require('./gateway.js');
const {StandIn} = require('./standin.js');

const CHROMIUM = '/usr/bin/chromium';
const FIXTURES = path.join(__dirname, 'fixtures');
const WAIT_MS = 8000; // each page wait and action
const SMS_MS = 8000; // an SMS reaching the stand-in

// The roster in fixtures/ (staff.csv, children.csv).
const ADMIN = '13800003001'; // 张永福, admin of 测试县
const COUNTY = '13800001009'; // 陈翠萍, county officer of 测试县
const AUDITOR = '13800003003'; // 钱淑芬, auditor
const DIRECTOR_A = '13800000001'; // 刘永福, director of 上湾村 (village A)
const POLICE = '13800002001'; // 孙玉林, responder 公安
const CIVIL = '13800002003'; // 罗红霞, responder 民政 (triage)
const CHILD_A = '1110011'; // 陈志强, 上湾村
const CHILD_A_NAME = '陈志强';
const CHILD_A2 = '1110022'; // 郭心悦, 上湾村
const CHILD_B = '1120016'; // 朱浩然, 石桥村 (village B)
const PUBLIC_PHONE = '+8613755550901';
// A report with no category and no danger words: filed as an unclassified case.
const UNCLASSIFIED_REPORT = '请问孩子上学的补助找谁申请';
const PHONE_VIEWPORT = {width: 390, height: 844};

const env = {
    bin: process.env.GATEWAY_BIN || '',
    artifacts: '',
};

const state = {
    standin: null,
    gw: null,
    browser: null,
    caseNumber: '',
    consoleErrors: [], // {test, text}
};

function assert(cond, msg) {
    if (!cond) throw new Error(msg);
}

// The artifacts folder (created).
function artifactsDir() {
    const dir = process.env.BROWSER_ARTIFACTS || path.join(path.dirname(env.bin), '..', 'browser-artifacts');
    fs.mkdirSync(dir, {recursive: true});
    for (const f of fs.readdirSync(dir)) if (/^fail-.*\.png$/.test(f)) fs.rmSync(path.join(dir, f));
    return path.resolve(dir);
}

async function shot(page, name) {
    await page.screenshot({path: path.join(env.artifacts, name), fullPage: true});
}

// Runs fn(page) in a fresh browser context; console and page errors are kept, tagged with
// the test; on failure a full-page fail-<test>.png is saved before the context closes.
async function withPage(test, options, fn) {
    const context = await state.browser.newContext({locale: 'zh-CN', ...options});
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('console', (m) => {
        if (m.type() === 'error') state.consoleErrors.push({test, text: m.text()});
    });
    page.on('pageerror', (e) => state.consoleErrors.push({test, text: `page error: ${e.message}`}));
    try {
        await fn(page);
    } catch (e) {
        await shot(page, `fail-${test}.png`).catch(() => {});
        throw e;
    } finally {
        await context.close();
    }
}

// Signs in through the page with the code the stand-in received; waits for #app-view.
// beforeVerify(page) runs with the code typed in (for the login screenshot).
async function signIn(page, phone, beforeVerify) {
    await page.goto(`${state.gw.base}/`);
    await page.locator('#login-view').waitFor({state: 'visible'});
    await page.locator('#login-phone').fill(phone);
    const mark = state.standin.count();
    await page.locator('#login-send').click();
    const sms = await state.standin.waitForSms(phone, /\d{6}/, mark, SMS_MS);
    const code = /(\d{6})/.exec(sms.text)[1];
    await page.locator('#login-code').fill(code);
    if (beforeVerify) await beforeVerify(page);
    await page.locator('#login-verify').click();
    await page.locator('#app-view').waitFor({state: 'visible'});
}

// Chooses a purpose in #child-purpose (走访 when offered), then opens the file by code.
async function openChild(page, code) {
    await page.locator('#nav-children').click();
    await page.locator('#children-view').waitFor({state: 'visible'});
    await page.locator('#child-code-input').fill(code);
    const purpose = page.locator('#child-purpose');
    await purpose.waitFor({state: 'visible'});
    const options = await purpose.locator('option').evaluateAll((os) =>
        os.map((o) => ({value: o.value, text: o.textContent || ''})));
    const pick = options.find((o) => o.value && o.text.includes('走访')) || options.find((o) => o.value);
    assert(pick, `#child-purpose offers no purpose: ${JSON.stringify(options)}`);
    await purpose.selectOption(pick.value);
    await page.locator('#child-open').click();
}

// ---- the tests ----------------------------------------------------------------------

async function testSignIn() {
    await withPage('sign_in', {}, async (page) => {
        await signIn(page, ADMIN, (p) => shot(p, '01-login.png'));
        await page.locator('#login-view').waitFor({state: 'hidden'});
        // #me shows the signed-in person's own name and role.
        await page.locator('#me', {hasText: '张永福'}).waitFor({state: 'visible'});
        await page.locator('#me', {hasText: '管理员'}).waitFor({state: 'visible'});
        await page.locator('#overview-view').waitFor({state: 'visible'});
        assert(!/[?&]|\d{7,}/.test(new URL(page.url()).search + new URL(page.url()).hash),
               `personal data in the URL: ${page.url()}`);
        await page.locator(`#overview-cases tr[data-case="${state.caseNumber}"]`).waitFor({state: 'visible'});
        await shot(page, '02-overview.png');
    });
}

async function testTriage() {
    await withPage('triage_classify', {}, async (page) => {
        const n = state.caseNumber;
        await signIn(page, ADMIN);
        await page.locator(`#overview-cases tr[data-case="${n}"]`).click();
        await page.locator('#case-view').waitFor({state: 'visible'});
        await page.locator('#case-number', {hasText: n}).waitFor({state: 'visible'});
        assert(!page.url().includes(n), `the case number is in the URL: ${page.url()}`);
        const policeEvents = page.locator('#case-events li', {hasText: '公安'});
        const eventsBefore = await page.locator('#case-events li').count();
        const policeBefore = await policeEvents.count();
        const mark = state.standin.count();
        await page.locator('#classify-category').selectOption('4');
        await page.locator('#classify-submit').click();
        await page.locator('#case-message', {hasText: '已'}).waitFor({state: 'visible'});
        // Category 4 (missing, trafficked) routes to police and civil affairs (handlers/routing.c).
        const alert = await state.standin.waitForSms(POLICE, new RegExp(n), mark, SMS_MS);
        assert(!alert.text.includes(UNCLASSIFIED_REPORT), 'the alert SMS carries the description');
        // The reloaded case shows the classification and a new event naming the police.
        await page.locator('#case-category', {hasText: '4'}).waitFor({state: 'visible'});
        await page.waitForFunction(([before, policeBefore]) => {
            const lis = [...document.querySelectorAll('#case-events li')];
            return lis.length > before && lis.filter((li) => li.textContent.includes('公安')).length > policeBefore;
        }, [eventsBefore, policeBefore]);
        await shot(page, '03-case.png');
    });
}

async function testChildAudit() {
    await withPage('child_file_audit', {}, async (page) => {
        await signIn(page, ADMIN);
        await openChild(page, CHILD_A);
        await page.locator('#child-view').waitFor({state: 'visible'});
        await page.locator('#child-code', {hasText: CHILD_A}).waitFor({state: 'visible'});
        assert(!page.url().includes(CHILD_A), `the child code is in the URL: ${page.url()}`);
        await shot(page, '04-child.png');
        await page.locator('#nav-audit').click();
        await page.locator('#audit-view').waitFor({state: 'visible'});
        const cell = page.locator('#audit-rows tr td.audit-records', {hasText: new RegExp(`${CHILD_A}|${CHILD_A_NAME}`)});
        await cell.first().waitFor({state: 'visible'});
        await shot(page, '05-audit.png');
    });
}

// The county officer opens a child's file; the auditor, who sees nothing but the audit
// log, finds the row that read left, naming the officer's act and the child.
async function testAuditorSeesTheRead() {
    await withPage('auditor_sees_the_read', {}, async (page) => {
        await signIn(page, COUNTY);
        await openChild(page, CHILD_A2);
        await page.locator('#child-code', {hasText: CHILD_A2}).waitFor({state: 'visible'});
    });
    await withPage('auditor_sees_the_read', {}, async (page) => {
        await signIn(page, AUDITOR);
        await page.locator('#audit-view').waitFor({state: 'visible'});
        for (const nav of ['#nav-overview', '#nav-cases', '#nav-children', '#nav-coverage'])
            assert(await page.locator(nav).isHidden(), `the auditor is offered ${nav}`);
        const cell = page.locator('#audit-rows tr td.audit-records', {hasText: CHILD_A2});
        await cell.first().waitFor({state: 'visible'});
        await shot(page, '08-auditor.png');
    });
}

async function testScope() {
    await withPage('director_scope', {}, async (page) => {
        await signIn(page, DIRECTOR_A);
        await openChild(page, CHILD_B);
        await page.locator('#child-error').waitFor({state: 'visible'});
        assert(await page.locator('#child-view').isHidden(), '#child-view is shown for a child of another village');
        const err = (await page.locator('#child-error').innerText()).trim();
        assert(/未找到|权限/.test(err), `#child-error says "${err}", not 未找到，或不在您的权限范围内`);
        await shot(page, '06-refused.png');
        await openChild(page, CHILD_A2);
        await page.locator('#child-view').waitFor({state: 'visible'});
        await page.locator('#child-code', {hasText: CHILD_A2}).waitFor({state: 'visible'});
    });
}

async function testPhone() {
    await withPage('phone_viewport', {viewport: PHONE_VIEWPORT, isMobile: true, hasTouch: true}, async (page) => {
        await signIn(page, COUNTY);
        await page.locator('#overview-view').waitFor({state: 'visible'});
        await page.locator(`#overview-cases tr[data-case="${state.caseNumber}"]`).waitFor({state: 'visible'});
        const widths = await page.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
        }));
        await shot(page, '07-phone.png');
        assert(widths.scroll <= PHONE_VIEWPORT.width,
               `the overview scrolls sideways at 390 px: scrollWidth ${widths.scroll}`);
    });
}

async function testCspHeader() {
    for (const target of ['/', '/dash/app.js', '/dash/app.css']) {
        const r = await fetch(`${state.gw.base}${target}`);
        await r.arrayBuffer();
        assert(r.status === 200, `GET ${target}: ${r.status}`);
        const csp = r.headers.get('content-security-policy') || '';
        for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"])
            assert(csp.includes(d), `GET ${target}: Content-Security-Policy lacks ${d}: "${csp}"`);
    }
}

async function testNoCspViolations() {
    const bad = state.consoleErrors.filter((e) => /Content Security Policy/i.test(e.text));
    assert(bad.length === 0, `CSP violations: ${bad.map((e) => `[${e.test}] ${e.text}`).join(' | ')}`);
}

const TESTS = [
    ['csp_header', testCspHeader],
    ['sign_in', testSignIn],
    ['triage_classify', testTriage],
    ['child_file_audit', testChildAudit],
    ['auditor_sees_the_read', testAuditorSeesTheRead],
    ['director_scope', testScope],
    ['phone_viewport', testPhone],
    ['no_csp_violations', testNoCspViolations],
];

// ---- set-up, run, summary ---------------------------------------------------------------

async function setUp() {
    assert(env.bin && path.isAbsolute(env.bin), 'GATEWAY_BIN must be the absolute path of the gateway binary');
    assert(fs.existsSync(env.bin), `GATEWAY_BIN ${env.bin} does not exist (build it first)`);
    assert(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium)`);
    state.standin = new StandIn(SECRET);
    const sendUrl = await state.standin.start();
    state.gw = new Gateway(env.bin, sendUrl);
    state.gw.prepare(FIXTURES);
    await state.gw.start();
    // An unclassified case, reported by a member of the public through the signed webhook;
    // the triage alert to the county's civil-affairs responder names its number.
    const mark = state.standin.count();
    const status = await state.gw.inboundSms(PUBLIC_PHONE, UNCLASSIFIED_REPORT);
    assert(status === 200, `webhook answered ${status}`);
    const tri = await state.standin.waitForSms(CIVIL, /待分类案件(\d+)/, mark, SMS_MS);
    state.caseNumber = /待分类案件(\d+)/.exec(tri.text)[1];
    const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
    state.browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args});
}

async function tearDown(failed) {
    if (state.browser) await state.browser.close().catch(() => {});
    let stopped = null;
    if (state.gw) stopped = await state.gw.stop();
    if (state.standin) await state.standin.stop();
    if (state.gw) {
        if (failed) console.log(`kept ${state.gw.dir} (gateway.ini, gateway.db, gateway.log)`);
        else state.gw.removeDir();
    }
    return stopped;
}

async function main() {
    env.artifacts = env.bin ? artifactsDir() : '';
    const started = Date.now();
    const failures = [];
    let passed = 0;
    console.log(`[==========] Running ${TESTS.length} test(s).`);
    let setupError = null;
    try {
        await setUp();
    } catch (e) {
        setupError = e;
        console.log(`set-up failed: ${e.stack || e}`);
        if (state.gw) console.log(`gateway log:\n${state.gw.logText()}`);
    }
    for (const [name, fn] of TESTS) {
        console.log(`[ RUN      ] ${name}`);
        const t0 = Date.now();
        try {
            if (setupError) throw new Error('set-up failed');
            await fn();
            passed++;
            console.log(`[       OK ] ${name} (${Date.now() - t0} ms)`);
        } catch (e) {
            failures.push(name);
            console.log(`${e.stack || e}`);
            console.log(`[  FAILED  ] ${name} (${Date.now() - t0} ms)`);
        }
    }
    const stopped = await tearDown(failures.length > 0).catch((e) => {
        console.log(`tear-down: ${e.stack || e}`);
        return null;
    });
    if (stopped && (stopped.code !== 0 || stopped.signal)) console.log(`gateway exit: ${JSON.stringify(stopped)}`);
    if (failures.length && state.gw) console.log(`gateway log tail:\n${state.gw.logText().slice(-3000)}`);
    for (const e of state.consoleErrors) console.log(`note: console error in ${e.test} (not a failure): ${e.text}`);
    if (env.artifacts) console.log(`screenshots in ${env.artifacts}`);
    console.log(`[==========] ${TESTS.length} test(s) run. (${Date.now() - started} ms)`);
    console.log(`[  PASSED  ] ${passed} test(s).`);
    if (failures.length) {
        console.log(`[  FAILED  ] ${failures.length} test(s), listed below:`);
        for (const f of failures) console.log(`[  FAILED  ] ${f}`);
    }
    return failures.length ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
    console.log(`runner: ${e.stack || e}`);
    console.log('[  FAILED  ] 1 test(s), listed below:');
    console.log('[  FAILED  ] runner');
    process.exit(1);
});
