// ec2_tags.mjs: CreateTags / DeleteTags as an SDK program does them.
// node ec2_tags.mjs create|delete INSTANCE_ID KEY=VALUE[,KEY=VALUE] [dry-run]
import { EC2Client, CreateTagsCommand, DeleteTagsCommand } from "@aws-sdk/client-ec2";
import { call } from "./call.mjs";

const [op, id, tags, dry] = process.argv.slice(2);
const input = {
	Resources: [id],
	Tags: tags.split(",").map((kv) => {
		const i = kv.indexOf("=");
		return i < 0 ? { Key: kv } : { Key: kv.slice(0, i), Value: kv.slice(i + 1) };
	}),
	DryRun: dry === "dry-run",
};
const Cmd = op === "create" ? CreateTagsCommand : DeleteTagsCommand;
await call(new EC2Client({}), new Cmd(input));
