import type { CliCommand } from '../cli-command';
import { positionalsOf } from '../command-input';
import { alignRows } from '../align-rows';

export const openCommand: CliCommand = {
  name: 'open',
  args: 'ID [SCENE]',
  summary: "print a URL of a finished scene's video (signed and expiring in gcp mode); without SCENE, of each finished scene",
  options: {},
  async run(context, { positionals }) {
    const [id, scene] = positionalsOf('open', positionals, ['ID'], ['SCENE']);
    const client = context.client();
    const signal = context.io.interrupt;
    const scenes = scene ? [scene] : (await client.get(id!, { signal })).scenes.filter((s) => s.output).map((s) => s.name);
    if (scenes.length === 0) throw new Error(`job ${id} has no finished scene yet`);
    const urls = [];
    for (const name of scenes) urls.push({ scene: name, ...(await client.sceneUrl(id!, name, { signal })) });
    if (context.json) context.printJson(scene ? urls[0] : urls);
    if (scene) context.say(urls[0]!.url);
    else for (const line of alignRows(urls.map((u) => [u.scene, u.url]))) context.say(line);
    return 0;
  },
};
