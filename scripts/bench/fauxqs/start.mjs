// start.mjs: run fauxqs (S3 + SQS + SNS, no signature checks) on 127.0.0.1
// for the benchmarks; started by scripts/bench/peer-fauxqs.
//
//   node start.mjs FAUXQS_PACKAGE_DIR PORT_FILE
//
// fauxqs's own CLI binds 0.0.0.0 and always logs, so this builds the app
// itself: quiet, loopback only, on a port the kernel picks (written to
// PORT_FILE once listening, so there is no probe-then-bind race).  The SQS
// store's host is emptied so that queue URLs are built from the request's
// Host header, http://127.0.0.1:PORT/000000000000/NAME, which resolves here
// (the stock sqs.REGION.localhost does not).  The stores are not in the
// package's exports map, so they are loaded by file path.
import { writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [pkg, portFile] = process.argv.slice(2);
if (!pkg || !portFile) {
	console.error("usage: node start.mjs FAUXQS_PACKAGE_DIR PORT_FILE");
	process.exit(2);
}
const load = (rel) => import(pathToFileURL(join(pkg, "dist", rel)).href);
const { buildApp } = await load("app.js");
const { SqsStore } = await load("sqs/sqsStore.js");
const { SnsStore } = await load("sns/snsStore.js");
const { S3Store } = await load("s3/s3Store.js");

const sqsStore = new SqsStore();
sqsStore.host = "";
const app = buildApp({
	logger: false,
	stores: { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() },
});
await app.listen({ host: "127.0.0.1", port: 0 });
const port = app.server.address().port;
writeFileSync(portFile + ".tmp", port + "\n");
renameSync(portFile + ".tmp", portFile);

let closing = false;
const stop = () => {
	if (closing)
		return;
	closing = true;
	app.close().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
