// ec2_paginate_describe_instances.mjs: every instance, through the SDK's
// own paginator (paginateDescribeInstances follows NextToken), as a fleet
// script does it.
//   node ec2_paginate_describe_instances.mjs [PAGE_SIZE] [FILTERS_JSON]
// Prints one JSON line: {"ok":true,"pages":N,"instances":N,"unique":N,
// "running":N,"withIp":N} or the error as call.mjs prints it.
import { EC2Client, paginateDescribeInstances } from "@aws-sdk/client-ec2";

const pageSize = process.argv[2] ? Number(process.argv[2]) : undefined;
const filters = process.argv[3] ? JSON.parse(process.argv[3]) : undefined;
const client = new EC2Client({});
let pages = 0, instances = 0, running = 0, withIp = 0;
const ids = new Set();
try {
	const input = filters ? { Filters: filters } : {};
	const cfg = pageSize ? { client, pageSize } : { client };
	for await (const page of paginateDescribeInstances(cfg, input)) {
		pages++;
		for (const r of page.Reservations ?? []) {
			for (const i of r.Instances ?? []) {
				instances++;
				ids.add(i.InstanceId);
				if (i.State?.Name === "running")
					running++;
				if (i.PrivateIpAddress)
					withIp++;
			}
		}
	}
	console.log(JSON.stringify({ ok: true, pages, instances,
	    unique: ids.size, running, withIp }));
} catch (e) {
	console.log(JSON.stringify({
		ok: false,
		name: e.name,
		status: e.$metadata ? e.$metadata.httpStatusCode : null,
		message: e.message,
	}));
}
