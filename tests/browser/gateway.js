// tests/browser/gateway.js - the real gateway binary on a fresh SQLite file in a temp dir.
//
// Writes gateway.ini (listen on port 0; the generic channel sends to the stand-in),
// runs `migrate` and `import` of the roster CSVs in fixtures/, starts `serve` with its
// log in the temp dir, reads the port from the "listening on" log line and polls
// GET /healthz until 200. stop() sends SIGTERM and waits for the exit.
'use strict';

const {spawn, spawnSync} = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SECRET = 'browser-test-secret';
const KINDS = ['regions', 'staff', 'children', 'guardians'];

// Resolves after ms: only as the interval between polls of a condition that has a deadline.
function tick(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls fn (async, truthy = done) every intervalMs until timeoutMs; rejects with what.
async function poll(fn, timeoutMs, what, intervalMs = 20) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
        await tick(intervalMs);
    }
}

class Gateway {
    // bin: the gateway binary; sendUrl: the stand-in's send URL.
    constructor(bin, sendUrl) {
        this.bin = bin;
        this.sendUrl = sendUrl;
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-browser-'));
        this.cfg = path.join(this.dir, 'gateway.ini');
        this.db = path.join(this.dir, 'gateway.db');
        this.log = path.join(this.dir, 'gateway.log');
        this.proc = null;
        this.port = 0;
        this.exited = null;
    }

    get base() {
        return `http://127.0.0.1:${this.port}`;
    }

    writeConfig() {
        const ini = [
            '; gateway.ini written by tests/browser/gateway.js',
            '[server]',
            'listen = 127.0.0.1:0',
            'public_url = http://127.0.0.1',
            'max_body = 65536',
            'threads = 2',
            'log_level = info',
            '[store]',
            `path = ${this.db}`,
            'synchronous = normal',
            '[policy]',
            'timezone = Asia/Shanghai',
            'default_region = 测试县',
            'country_code = 86',
            'work_hours = 00:00-24:00', // alerts and codes never wait for working hours here
            'work_days = 1-7',
            '[channel generic]',
            'provider = generic',
            `secret = ${SECRET}`,
            `url = ${this.sendUrl}`,
            'route = +86',
            'default = yes',
            '',
        ].join('\n');
        fs.writeFileSync(this.cfg, ini);
    }

    // Runs one CLI command to completion; throws with its stderr on a non-zero exit.
    cli(args) {
        const r = spawnSync(this.bin, args, {encoding: 'utf8', timeout: 20000});
        if (r.error) throw new Error(`gateway ${args[0]}: ${r.error.message}`);
        if (r.status !== 0) throw new Error(`gateway ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
        return r.stdout;
    }

    // Config, schema and roster: everything before serve.
    prepare(fixtures) {
        this.writeConfig();
        this.cli(['migrate', '-c', this.cfg]);
        for (const kind of KINDS) this.cli(['import', '-c', this.cfg, kind, path.join(fixtures, `${kind}.csv`)]);
    }

    logText() {
        try {
            return fs.readFileSync(this.log, 'utf8');
        } catch {
            return '';
        }
    }

    // Starts serve and waits until /healthz answers 200 (10 s at most).
    async start() {
        const fd = fs.openSync(this.log, 'a');
        this.proc = spawn(this.bin, ['serve', '-c', this.cfg], {stdio: ['ignore', 'ignore', fd]});
        fs.closeSync(fd);
        this.exitPromise = new Promise((resolve) => {
            this.proc.once('exit', (code, signal) => {
                this.exited = {code, signal};
                resolve(this.exited);
            });
        });
        const alive = () => {
            if (this.exited) throw new Error(`gateway serve exited (${JSON.stringify(this.exited)}):\n${this.logText()}`);
        };
        this.port = await poll(() => {
            alive();
            const m = /listening on \S+?:(\d+)/.exec(this.logText());
            return m ? Number(m[1]) : 0;
        }, 10000, 'the gateway log names its port');
        await poll(async () => {
            alive();
            try {
                const r = await fetch(`${this.base}/healthz`);
                await r.arrayBuffer();
                return r.status === 200;
            } catch {
                return false;
            }
        }, 10000, 'GET /healthz answers 200');
    }

    // SIGTERM, then waits for the exit (SIGKILL after 10 s). Resolves to {code, signal}.
    async stop() {
        if (!this.proc || this.exited) return this.exited;
        this.proc.kill('SIGTERM');
        const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
        const r = await this.exitPromise;
        clearTimeout(timer);
        return r;
    }

    // A signed inbound SMS on the generic channel's webhook; resolves to the HTTP status.
    async inboundSms(from, text) {
        const id = `browser-${crypto.randomBytes(6).toString('hex')}`;
        const body = JSON.stringify({id, from, to: '10690000', text});
        const sig = crypto.createHmac('sha256', SECRET).update(body).digest('hex');
        const r = await fetch(`${this.base}/hooks/generic/sms`, {
            method: 'POST',
            headers: {'Content-Type': 'application/json', 'X-Signature': sig},
            body,
        });
        await r.arrayBuffer();
        return r.status;
    }

    removeDir() {
        fs.rmSync(this.dir, {recursive: true, force: true});
    }
}

module.exports = {Gateway, SECRET, poll};
