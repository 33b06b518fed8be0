// bench/pubsub: Google's Node.js client receiving N messages from
// SUBSCRIPTION (projects/P/subscriptions/S) with its streaming pull and
// acknowledging each (the client batches acks); exits once N are acked.
// usage: node pullack.js SUBSCRIPTION N
'use strict';
const {PubSub} = require('@google-cloud/pubsub');

async function main() {
	const [name, want] = [process.argv[2], Number(process.argv[3])];
	const ps = new PubSub({projectId: name.split('/')[1]});
	const sub = ps.subscription(name, {
		flowControl: {maxMessages: 1000},
	});
	let n = 0;
	await new Promise((resolve, reject) => {
		sub.on('error', reject);
		sub.on('message', (m) => {
			m.ack();
			if (++n === want)
				resolve();
		});
	});
	await sub.close();
	await ps.close();
	process.stdout.write(n + '\n');
}
main().catch((e) => { console.error(e); process.exit(1); });
