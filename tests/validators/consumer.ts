// A small app written against the types that openapi-typescript generates from
// /api/v3/openapi.json (into api.d.ts beside this file, by test_openapi_contract.py), checked
// with `tsc --strict --noEmit`. It walks a post's body the way an app would: it narrows each
// block by `type`, with no hand-written type guard or cast, and the `never` at the end of
// the switch fails the check when a block type goes untreated.
import type { components } from "./api";

type Schemas = components["schemas"];
export type Post = Schemas["BlogPostPageSchema"];
type Block = Post["body"][number];
type Problem = Schemas["ProblemDetail"];

export function outlinePost(post: Post): string[] {
  return [post.title, post.date ?? "", ...post.body.map(describe)];
}

function describe(block: Block): string {
  switch (block.type) {
    case "heading":
      return `${block.value.level} #${block.value.anchor}: ${block.value.text}`;
    case "paragraph":
      return block.value;
    case "key_points":
      return (block.value.items ?? []).map((item) => item.lead ?? item.text).join("; ");
    case "numbered_list":
      return block.value.items.map((item) => `${item.number}. ${item.title}`).join("; ");
    case "study_card":
      return `${block.value.journal} (${block.value.year}, ${block.value.study_type_label})`;
    case "callout":
      return `${block.value.tone}: ${block.value.text}`;
    case "quote":
      return `"${block.value.quote}" ${block.value.attribution ?? ""}`;
    case "image":
      return `${block.value.alt} (${block.value.width ?? "?"}×${block.value.height ?? "?"})`;
    default: {
      const untreated: never = block;
      return untreated;
    }
  }
}

export function explain(problem: Problem): string {
  return `${problem.status}: ${problem.detail ?? problem.title}`;
}
