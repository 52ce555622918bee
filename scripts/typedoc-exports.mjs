// A TypeDoc plugin for `npm run docs`: every function webgrad exports (top level and in the nn /
// optim namespaces) must have a doc comment. TypeDoc's own notDocumented check (typedoc.json)
// covers classes, interfaces, type aliases, variables and namespaces, but for functions it can
// only require comments on every call signature, methods included; this keeps the rule to what
// a user imports.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const missing = [];
    const visit = (container, prefix) => {
      for (const r of container.children ?? []) {
        if (r.kindOf(ReflectionKind.Namespace)) visit(r, `${prefix}${r.name}.`);
        if (!r.kindOf(ReflectionKind.Function)) continue;
        const documented = r.hasComment() || (r.signatures ?? []).some((s) => s.hasComment());
        if (!documented) missing.push(`${prefix}${r.name}`);
      }
    };
    visit(context.project, '');
    for (const name of missing) app.logger.error(`exported function ${name} has no doc comment`);
  });
}
