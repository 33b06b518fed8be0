// bench/pubsub: Google's Node.js client publishing each line of FILE as
// one message to TOPIC (projects/P/topics/T) with its batch publisher
// (up to 1,000 messages or 10 ms a batch, as pubsub-publish batches),
// waiting for every message id.  Honours PUBSUB_EMULATOR_HOST.
// usage: node publish.js TOPIC FILE
'use strict';
const fs = require('fs');
const {PubSub} = require('@google-cloud/pubsub');

async function main() {
	const [name, file] = process.argv.slice(2);
	const project = name.split('/')[1];
	const ps = new PubSub({projectId: project});
	const topic = ps.topic(name, {
		batching: {maxMessages: 1000, maxMilliseconds: 10},
	});
	const lines = fs.readFileSync(file, 'utf8').split('\n')
	    .filter((l) => l.length > 0);
	const ids = await Promise.all(lines.map((l) =>
	    topic.publishMessage({data: Buffer.from(l)})));
	await ps.close();
	process.stdout.write(ids.length + '\n');
}
main().catch((e) => { console.error(e); process.exit(1); });
