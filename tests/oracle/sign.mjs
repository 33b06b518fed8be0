// sign.mjs: sign and verify webhooks with the official libraries, as an
// oracle for lib/whsig (tests/whsig-oracle.t).
//
//   node sign.mjs sign SCHEME SECRETFILE BODYFILE ID TS
//       print the headers the official library makes, "Name: value" a
//       line, in the order lib/whsig's whsig_sign gives them.
//   node sign.mjs verify SCHEME SECRETFILE BODYFILE HEADERSFILE
//       exit 0 if the official library accepts the request, else 1.
//   node sign.mjs gen SCHEME DIR N
//       write DIR/secret and DIR/body: a random secret in the scheme's
//       format and random body number N (unicode, large, odd bytes).
//
// One node start costs ~0.2 s, so the .t works on many cases at once:
//   node sign.mjs gen-all SCHEME DIR...
//       gen for each DIR, N being its position (0, 1, ...).
//   node sign.mjs sign-all SCHEME TS DIR...
//       sign DIR/body with DIR/secret and the id in DIR/id into DIR/lib.h.
//   node sign.mjs verify-all SCHEME BODY HEADERS DIR...
//       verify DIR/BODY with DIR/HEADERS; write "ok" or the reason to
//       DIR/HEADERS-BODY.verdict.
//
//   node sign.mjs stripe-construct SECRETFILE BODYFILE HEADERSFILE
//       stripe.webhooks.constructEvent on the body; print the event id.
//   node sign.mjs github-form NAME
//       print the @octokit/webhooks-examples payload NAME (e.g. push) as
//       GitHub sends it form-encoded: payload=<the JSON, URL-encoded>.
//
// Libraries: standard = standardwebhooks, svix = svix (the standard scheme
// with svix-id, svix-timestamp, svix-signature headers), github =
// @octokit/webhooks-methods, stripe = stripe (stripe.webhooks); slack has
// no official npm verifier
// outside the whole of Bolt, so slack and the generic hmac-sha256 use
// node:crypto, written from the published algorithm.  For hmac-sha256 the
// environment gives WHSIG_HEADER, WHSIG_PREFIX, WHSIG_ENCODING.
// Secrets come from files (never argv); a trailing CR/LF is dropped as
// lib/whsig does.  Bodies must be valid UTF-8: the JS libraries take
// strings.

import { createHmac, randomBytes, randomInt, timingSafeEqual }
	from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";

// each library is loaded only when its scheme is used: stripe is slow to load
async function standardWebhook(secret) {
	const { Webhook } = await import("standardwebhooks");
	return new Webhook(secret);
}

async function svixWebhook(secret) {
	const { Webhook } = await import("svix");
	return new Webhook(secret);
}

async function octokit() {
	return import("@octokit/webhooks-methods");
}

async function stripeWebhooks() {
	const { default: Stripe } = await import("stripe");
	return new Stripe("sk_test_oracle_not_used").webhooks;
}

function secretOf(path) {
	return readFileSync(path, "utf8").replace(/[\r\n]+$/, "");
}

function bodyOf(path) {
	const b = readFileSync(path);
	const s = b.toString("utf8");
	if (!Buffer.from(s, "utf8").equals(b))
		throw new Error("body is not valid UTF-8");
	return s;
}

function headersOf(path) {
	const h = {};
	for (const line of readFileSync(path, "utf8").split("\n")) {
		const i = line.indexOf(":");
		if (i > 0)
			h[line.slice(0, i).trim().toLowerCase()] =
			    line.slice(i + 1).trim();
	}
	return h;
}

function hmacConf() {
	const header = process.env.WHSIG_HEADER;
	if (!header)
		throw new Error("hmac-sha256 needs WHSIG_HEADER");
	return {
		header,
		prefix: process.env.WHSIG_PREFIX || "",
		encoding: process.env.WHSIG_ENCODING || "hex",
	};
}

async function sign(scheme, secret, body, id, ts) {
	switch (scheme) {
	case "standard": {
		const wh = await standardWebhook(secret);
		return [["webhook-id", id], ["webhook-timestamp", String(ts)],
		    ["webhook-signature",
		    wh.sign(id, new Date(ts * 1000), body)]];
	}
	case "svix": {
		const wh = await svixWebhook(secret);
		return [["svix-id", id], ["svix-timestamp", String(ts)],
		    ["svix-signature",
		    wh.sign(id, new Date(ts * 1000), body)]];
	}
	case "github":
		return [["X-Hub-Signature-256",
		    await (await octokit()).sign(secret, body)],
		    ["X-GitHub-Delivery", id]];
	case "stripe":
		return [["Stripe-Signature",
		    (await stripeWebhooks()).generateTestHeaderString({
		    payload: body, secret, timestamp: ts })]];
	case "slack": {
		const mac = createHmac("sha256", secret)
		    .update(`v0:${ts}:${body}`).digest("hex");
		return [["X-Slack-Request-Timestamp", String(ts)],
		    ["X-Slack-Signature", `v0=${mac}`]];
	}
	case "hmac-sha256": {
		const c = hmacConf();
		const mac = createHmac("sha256", secret).update(body)
		    .digest(c.encoding);
		return [[c.header, c.prefix + mac]];
	}
	}
	throw new Error(`unknown scheme ${scheme}`);
}

async function verify(scheme, secret, body, h) {
	switch (scheme) {
	case "standard":
		(await standardWebhook(secret)).verify(body, h,
		    { jsonParse: false });
		return true;
	case "svix":
		(await svixWebhook(secret)).verify(body, h);
		return true;
	case "github":
		return (await octokit()).verify(secret, body,
		    h["x-hub-signature-256"] || "");
	case "stripe":
		return (await stripeWebhooks()).signature.verifyHeader(body,
		    h["stripe-signature"], secret, 300);
	case "slack": {
		const ts = h["x-slack-request-timestamp"];
		const now = Math.floor(Date.now() / 1000);
		if (!ts || Math.abs(now - Number(ts)) > 300)
			return false;
		const want = Buffer.from("v0=" + createHmac("sha256", secret)
		    .update(`v0:${ts}:${body}`).digest("hex"));
		const got = Buffer.from(h["x-slack-signature"] || "");
		return got.length === want.length &&
		    timingSafeEqual(got, want);
	}
	case "hmac-sha256": {
		const c = hmacConf();
		const want = Buffer.from(c.prefix + createHmac("sha256", secret)
		    .update(body).digest(c.encoding));
		const got = Buffer.from(h[c.header.toLowerCase()] || "");
		return got.length === want.length &&
		    timingSafeEqual(got, want);
	}
	}
	throw new Error(`unknown scheme ${scheme}`);
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomText(n, alphabet) {
	let s = "";
	for (let i = 0; i < n; i++)
		s += alphabet[randomInt(alphabet.length)];
	return s;
}

function genSecret(scheme, n) {
	switch (scheme) {
	case "standard": {
		// 24 to 64 bytes, as the spec says; the prefix is optional
		const b64 = randomBytes(randomInt(24, 65)).toString("base64");
		return n % 3 === 2 ? b64 : "whsec_" + b64;
	}
	case "svix":
		return "whsec_" + randomBytes(24).toString("base64");
	case "stripe":
		return "whsec_" + randomText(32, alnum);
	case "slack":
		return randomBytes(16).toString("hex");
	default:
		// any text: UTF-8 bytes of unicode included
		return randomText(randomInt(8, 40), alnum) +
		    (n % 2 ? "-sëcret-☃-🔑" : "");
	}
}

// Pieces with multi-byte UTF-8 of every length, JSON escapes, CR LF.
const pieces = ["a", "é", "ß", "€", "☃", "中文", "𝄞", "🙂", "👩‍💻",
    "\\u00e9", "\\\"", " ", "\t", "\r\n", "\n", "\u0000", "Ω", "ﬁ",
    "e\u0301", "\u202e"];

function genBody(n) {
	const obj = { id: "evt_" + randomText(16, alnum), n,
	    created: Math.floor(Date.now() / 1000) };
	switch (n % 6) {
	case 0:
		return JSON.stringify(obj);
	case 1: {
		let t = "";
		for (let i = randomInt(50, 400); i > 0; i--)
			t += pieces[randomInt(pieces.length)];
		obj.text = t;
		return JSON.stringify(obj, null, 2);
	}
	case 2: {
		// large: about 0.5 to 1 MiB
		const items = [];
		for (let i = randomInt(9000, 18000); i > 0; i--)
			items.push({ k: randomText(40, alnum),
			    v: pieces[randomInt(pieces.length)] });
		obj.items = items;
		return JSON.stringify(obj);
	}
	case 3: {
		// not JSON: raw unicode text, CR LF, trailing newline
		let t = "";
		for (let i = randomInt(1, 2000); i > 0; i--)
			t += pieces[randomInt(pieces.length)];
		return t + "\n";
	}
	case 4:
		return "payload=" + encodeURIComponent(JSON.stringify(obj)) +
		    "&x=%F0%9F%99%82";
	default:
		return pieces[randomInt(pieces.length)];
	}
}

function gen(scheme, dir, n) {
	mkdirSync(dir, { recursive: true });
	writeFileSync(`${dir}/secret`, genSecret(scheme, n) + "\n");
	writeFileSync(`${dir}/body`, genBody(n));
}

async function main(argv) {
	const [cmd, scheme, a, b, c, d] = argv;
	if (cmd === "sign" && d !== undefined) {
		const hs = await sign(scheme, secretOf(a), bodyOf(b), c,
		    Number(d));
		for (const [k, v] of hs)
			process.stdout.write(`${k}: ${v}\n`);
		return 0;
	}
	if (cmd === "verify" && c !== undefined) {
		try {
			if (await verify(scheme, secretOf(a), bodyOf(b),
			    headersOf(c)))
				return 0;
			process.stderr.write("sign.mjs: not verified\n");
		} catch (e) {
			process.stderr.write(`sign.mjs: ${e.message}\n`);
		}
		return 1;
	}
	if (cmd === "stripe-construct" && b !== undefined) {
		// argv: SECRETFILE BODYFILE HEADERSFILE
		try {
			const ev = (await stripeWebhooks()).constructEvent(
			    bodyOf(a), headersOf(b)["stripe-signature"],
			    secretOf(scheme));
			process.stdout.write(`${ev.id}\n`);
			return 0;
		} catch (e) {
			process.stderr.write(`sign.mjs: ${e.message}\n`);
			return 1;
		}
	}
	if (cmd === "github-form" && scheme !== undefined) {
		const ex = JSON.parse(readFileSync(new URL(
		    "node_modules/@octokit/webhooks-examples/api.github.com/" +
		    "index.json", import.meta.url), "utf8"));
		const e = ex.find((x) => x.name === scheme);
		if (!e)
			throw new Error(`no example ${scheme}`);
		process.stdout.write("payload=" +
		    encodeURIComponent(JSON.stringify(e.examples[0])));
		return 0;
	}
	if (cmd === "gen" && b !== undefined) {
		gen(scheme, a, Number(b));
		return 0;
	}
	if (cmd === "gen-all") {
		argv.slice(2).forEach((dir, i) => gen(scheme, dir, i));
		return 0;
	}
	if (cmd === "sign-all" && a !== undefined) {
		for (const dir of argv.slice(3)) {
			const id = readFileSync(`${dir}/id`, "utf8").trim();
			const hs = await sign(scheme, secretOf(`${dir}/secret`),
			    bodyOf(`${dir}/body`), id, Number(a));
			writeFileSync(`${dir}/lib.h`,
			    hs.map(([k, v]) => `${k}: ${v}\n`).join(""));
		}
		return 0;
	}
	if (cmd === "verify-all" && b !== undefined) {
		for (const dir of argv.slice(4)) {
			let verdict;
			try {
				verdict = await verify(scheme,
				    secretOf(`${dir}/secret`),
				    bodyOf(`${dir}/${a}`),
				    headersOf(`${dir}/${b}`)) ? "ok" :
				    "not verified";
			} catch (e) {
				verdict = e.message.split("\n")[0];
			}
			writeFileSync(`${dir}/${b}-${a}.verdict`,
			    verdict + "\n");
		}
		return 0;
	}
	process.stderr.write("usage: node sign.mjs sign|verify|gen ...\n");
	return 2;
}

process.exitCode = await main(process.argv.slice(2));
