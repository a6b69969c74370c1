// tests/browser/standin.js - a provider send API stand-in: the generic channel's `url`.
//
// The gateway POSTs {"id":"<outbox id>","to":"+86...","text":"..."} (JSON, signed with
// X-Signature = hex HMAC-SHA256 of the body under the channel secret) and takes a 2xx
// answer {"id":"<provider id>"} as sent. Every message is recorded as {to, text, signed}.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');

// The last 11 digits of a phone (a Chinese mobile number without +86), for comparing numbers.
function national(phone) {
    const digits = String(phone).replace(/\D/g, '');
    return digits.slice(-11);
}

class StandIn {
    // secret: the channel secret, to check each request's signature.
    constructor(secret) {
        this.secret = secret;
        this.sms = [];
        this.waiters = [];
        this.server = http.createServer((req, res) => this.onRequest(req, res));
    }

    // Listens on a free loopback port; resolves to the send URL.
    async start() {
        await new Promise((resolve, reject) => {
            this.server.once('error', reject);
            this.server.listen(0, '127.0.0.1', resolve);
        });
        return `http://127.0.0.1:${this.server.address().port}/send`;
    }

    stop() {
        this.server.closeAllConnections?.();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    onRequest(req, res) {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const raw = Buffer.concat(chunks);
            let msg = null;
            try {
                msg = JSON.parse(raw.toString('utf8'));
            } catch {
                msg = null;
            }
            if (req.method !== 'POST' || !msg || typeof msg.to !== 'string' || typeof msg.text !== 'string') {
                res.writeHead(400, {'Content-Type': 'application/json'});
                res.end('{"error":"expected a JSON object with to and text"}');
                return;
            }
            const want = crypto.createHmac('sha256', this.secret).update(raw).digest('hex');
            const got = String(req.headers['x-signature'] || '').toLowerCase();
            const rec = {to: msg.to, text: msg.text, signed: got === want, index: this.sms.length};
            this.sms.push(rec);
            res.writeHead(200, {'Content-Type': 'application/json'});
            res.end(JSON.stringify({id: `prov-${rec.index + 1}`}));
            this.wake();
        });
    }

    // How many messages were recorded so far (a mark for waitFor's `after`).
    count() {
        return this.sms.length;
    }

    // Messages to `phone` (any format), in order.
    to(phone) {
        return this.sms.filter((m) => national(m.to) === national(phone));
    }

    // Resolves to the first message recorded at or after index `after` that pred accepts;
    // rejects after timeoutMs with `what` in the error.
    waitFor(pred, after, timeoutMs, what) {
        const found = this.sms.slice(after).find(pred);
        if (found) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
            const w = {pred, after, resolve};
            w.timer = setTimeout(() => {
                this.waiters = this.waiters.filter((x) => x !== w);
                const seen = this.sms.slice(after).map((m) => `${m.to}: ${m.text}`);
                reject(new Error(`stand-in: no SMS ${what} within ${timeoutMs} ms; got: ${JSON.stringify(seen)}`));
            }, timeoutMs);
            this.waiters.push(w);
        });
    }

    // Waits for an SMS to `phone` recorded at or after `after` whose text matches re.
    waitForSms(phone, re, after, timeoutMs = 15000) {
        return this.waitFor((m) => national(m.to) === national(phone) && re.test(m.text), after, timeoutMs,
                            `to ${phone} matching ${re}`);
    }

    wake() {
        for (const w of [...this.waiters]) {
            const found = this.sms.slice(w.after).find(w.pred);
            if (!found) continue;
            clearTimeout(w.timer);
            this.waiters = this.waiters.filter((x) => x !== w);
            w.resolve(found);
        }
    }
}

module.exports = {StandIn, national};
