/**
 * The Writ grammar as a chevrotain CST parser with error recovery (single-token insertion/deletion and
 * re-synchronisation at the next statement), so one run reports several syntax errors.
 * The grammar reference in grammar/GRAMMAR.md mirrors these rules one for one.
 */
import type { CstNode, IRecognitionException } from 'chevrotain';
import { CstParser } from './chevrotain.js';
import { errorMessageProvider } from './errors.js';
import * as T from './lexer.js';

class WritParser extends CstParser {
  /**
   * @param validate - run chevrotain's grammar validations (ambiguities, left recursion…). They cost about a
   *   third of building the parser, which every process start pays (e.g. the language server's time to first
   *   diagnostics), so the shared instance skips them and a test runs them ({@link checkGrammar}).
   */
  constructor(validate = false) {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 4, nodeLocationTracking: 'full', errorMessageProvider, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  /** Called with each top-level statement's CST node as soon as it is parsed (see `parseTokens`). */
  onStatement: ((statement: CstNode) => void) | undefined;

  file = this.RULE('file', () => {
    this.MANY(() => {
      const s = this.SUBRULE(this.statement);
      this.ACTION(() => this.onStatement?.(s));
    });
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.policyDecl) },
      { ALT: () => this.SUBRULE(this.roleDecl) },
      { ALT: () => this.SUBRULE(this.agentDecl) },
      { ALT: () => this.SUBRULE(this.toolDecl) },
      { ALT: () => this.SUBRULE(this.groupDecl) },
      { ALT: () => this.SUBRULE(this.contextDecl) },
      { GATE: () => this.LA(2).tokenType === T.Flow, ALT: () => this.SUBRULE(this.flowRule) },
      { ALT: () => this.SUBRULE(this.accessRule) },
      { ALT: () => this.SUBRULE(this.approveRule) },
      { ALT: () => this.SUBRULE(this.limitRule) },
      { ALT: () => this.SUBRULE(this.budgetRule) },
      { ALT: () => this.SUBRULE(this.labelDecl) },
      { ALT: () => this.SUBRULE(this.postRule) },
      { ALT: () => this.SUBRULE(this.preRule) },
      { ALT: () => this.SUBRULE(this.disableRule) },
      { ALT: () => this.SUBRULE(this.assertRule) },
    ]);
  });

  // policy "name" version "1.0.0"
  policyDecl = this.RULE('policyDecl', () => {
    this.CONSUME(T.Policy);
    this.CONSUME(T.StringLit, { LABEL: 'name' });
    this.CONSUME(T.Version);
    this.CONSUME2(T.StringLit, { LABEL: 'version' });
  });

  // role a, b
  roleDecl = this.RULE('roleDecl', () => {
    this.CONSUME(T.Role);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) });
  });

  // agent "id" roles [a, b] tenant "t"
  agentDecl = this.RULE('agentDecl', () => {
    this.CONSUME(T.Agent);
    this.CONSUME(T.StringLit, { LABEL: 'id' });
    this.OPTION(() => {
      this.CONSUME(T.Roles);
      this.SUBRULE(this.identList);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Tenant);
      this.CONSUME2(T.StringLit, { LABEL: 'tenant' });
    });
  });

  identList = this.RULE('identList', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) });
    this.CONSUME(T.RBracket);
  });

  // tool name(p: type, q?: type) risk high cost 0.02 USD
  toolDecl = this.RULE('toolDecl', () => {
    this.CONSUME(T.Tool);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(T.RParen);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Risk);
            this.CONSUME2(T.Identifier, { LABEL: 'risk' });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Cost);
            this.SUBRULE(this.numberLit, { LABEL: 'cost' });
          },
        },
      ]);
    });
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Name);
    this.OPTION(() => this.CONSUME(T.Question));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeRef);
  });

  // string | money(USD) | enum("a", "b") | list(T); `USD` parses as a type argument and is checked later
  typeRef = this.RULE('typeRef', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OR([
        { ALT: () => this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.StringLit) }) },
        { ALT: () => this.SUBRULE(this.typeRef, { LABEL: 'of' }) },
      ]);
      this.CONSUME(T.RParen);
    });
  });

  // group name = [a, b]
  groupDecl = this.RULE('groupDecl', () => {
    this.CONSUME(T.Group);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.identList);
  });

  // context name?: type
  contextDecl = this.RULE('contextDecl', () => {
    this.CONSUME(T.Context);
    this.CONSUME(T.Name);
    this.OPTION(() => this.CONSUME(T.Question));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeRef);
  });

  toolTarget = this.RULE('toolTarget', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Star) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.SUBRULE(this.identList) },
    ]);
  });

  // allow|deny TOOLS [when COND] [because "…"]
  accessRule = this.RULE('accessRule', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Allow) }, { ALT: () => this.CONSUME(T.Deny) }]);
    this.SUBRULE(this.toolTarget);
    this.OPTION(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expr);
    });
    this.OPTION2(() => this.SUBRULE(this.because));
  });

  because = this.RULE('because', () => {
    this.CONSUME(T.Because);
    this.CONSUME(T.StringLit);
  });

  // approve TOOLS [when COND] by role R [quorum N] within D [else deny|allow] [because "…"]
  approveRule = this.RULE('approveRule', () => {
    this.CONSUME(T.Approve);
    this.SUBRULE(this.toolTarget);
    this.OPTION(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expr);
    });
    this.SUBRULE(this.approvalClause);
    this.OPTION2(() => this.SUBRULE(this.because));
  });

  approvalClause = this.RULE('approvalClause', () => {
    this.CONSUME(T.By);
    this.CONSUME(T.Role);
    this.CONSUME(T.Identifier, { LABEL: 'role' });
    this.OPTION(() => {
      this.CONSUME(T.Quorum);
      this.SUBRULE(this.numberLit, { LABEL: 'quorum' });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Within);
      this.CONSUME(T.DurationLit);
    });
    this.OPTION3(() => {
      this.CONSUME(T.Else);
      this.OR([{ ALT: () => this.CONSUME(T.Deny) }, { ALT: () => this.CONSUME(T.Allow) }]);
    });
  });

  // limit TOOLS N per D per SCOPE
  limitRule = this.RULE('limitRule', () => {
    this.CONSUME(T.Limit);
    this.SUBRULE(this.toolTarget);
    this.CONSUME(T.NumberLit);
    this.CONSUME(T.Per);
    this.CONSUME(T.DurationLit);
    this.CONSUME2(T.Per);
    this.SUBRULE(this.scope);
  });

  scope = this.RULE('scope', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Agent) }, { ALT: () => this.CONSUME(T.Tenant) }, { ALT: () => this.CONSUME(T.Identifier) }]);
  });

  // budget per SCOPE (cost M | tokens N | calls N)+ [warn P%, P%]
  budgetRule = this.RULE('budgetRule', () => {
    this.CONSUME(T.Budget);
    this.CONSUME(T.Per);
    this.SUBRULE(this.scope);
    this.AT_LEAST_ONE(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Cost);
            this.SUBRULE(this.numberLit, { LABEL: 'cost' });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Tokens);
            this.SUBRULE2(this.numberLit, { LABEL: 'tokens' });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Calls);
            this.SUBRULE3(this.numberLit, { LABEL: 'calls' });
          },
        },
      ]);
    });
    this.OPTION(() => {
      this.CONSUME(T.Warn);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.PercentLit) });
    });
  });

  // label L from SOURCE, SOURCE
  labelDecl = this.RULE('labelDecl', () => {
    this.CONSUME(T.Label);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.From);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.labelSource) });
  });

  labelSource = this.RULE('labelSource', () => {
    this.OR([
      {
        // tool web_fetch.result[.path]
        ALT: () => {
          this.CONSUME(T.Tool);
          this.CONSUME(T.Identifier, { LABEL: 'tool' });
          this.CONSUME(T.Dot);
          this.CONSUME(T.Name, { LABEL: 'result' });
          this.MANY(() => {
            this.CONSUME2(T.Dot);
            this.CONSUME2(T.Name, { LABEL: 'path' });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Context);
          this.CONSUME3(T.Dot);
          this.CONSUME3(T.Name, { LABEL: 'field' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Detector);
          this.SUBRULE(this.detectorSpec);
        },
      },
    ]);
  });

  // pii | pii(email, us_ssn)
  detectorSpec = this.RULE('detectorSpec', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: 'kind' }) });
      this.CONSUME(T.RParen);
    });
  });

  // deny flow L -> TOOL.param [unless approved by role R …] [because "…"]
  flowRule = this.RULE('flowRule', () => {
    this.CONSUME(T.Deny);
    this.CONSUME(T.Flow);
    this.CONSUME(T.Identifier, { LABEL: 'label' });
    this.CONSUME(T.Arrow);
    this.OR([{ ALT: () => this.CONSUME(T.Star, { LABEL: 'allTools' }) }, { ALT: () => this.CONSUME2(T.Identifier, { LABEL: 'tool' }) }]);
    this.CONSUME(T.Dot);
    this.OR2([{ ALT: () => this.CONSUME2(T.Star, { LABEL: 'allParams' }) }, { ALT: () => this.CONSUME(T.Name, { LABEL: 'param' }) }]);
    this.OPTION(() => {
      this.CONSUME(T.Unless);
      this.CONSUME(T.Approved);
      this.OPTION2(() => this.SUBRULE(this.approvalClause));
    });
    this.OPTION3(() => this.SUBRULE(this.because));
  });

  // post TOOLS deny when COND because "…" | post TOOLS redact DETECTOR [in result[.path]]
  postRule = this.RULE('postRule', () => {
    this.CONSUME(T.Post);
    this.SUBRULE(this.toolTarget);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Deny);
          this.CONSUME(T.When);
          this.SUBRULE(this.expr);
          this.OPTION(() => this.SUBRULE(this.because));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Redact);
          this.SUBRULE(this.detectorSpec);
          this.OPTION2(() => {
            this.CONSUME(T.In);
            this.CONSUME(T.Name, { LABEL: 'root' });
            this.MANY(() => {
              this.CONSUME(T.Dot);
              this.CONSUME2(T.Name, { LABEL: 'path' });
            });
          });
        },
      },
    ]);
  });

  // pre TOOLS redact DETECTOR [in args]
  preRule = this.RULE('preRule', () => {
    this.CONSUME(T.Pre);
    this.SUBRULE(this.toolTarget);
    this.CONSUME(T.Redact);
    this.SUBRULE(this.detectorSpec);
    this.OPTION(() => {
      this.CONSUME(T.In);
      this.CONSUME(T.Name, { LABEL: 'root' });
    });
  });

  // disable [tool] TOOLS [because "…"]
  disableRule = this.RULE('disableRule', () => {
    this.CONSUME(T.Disable);
    this.OPTION(() => this.CONSUME(T.Tool));
    this.SUBRULE(this.toolTarget);
    this.OPTION2(() => this.SUBRULE(this.because));
  });

  // assert never|always EFFECT TOOLS [when COND]
  assertRule = this.RULE('assertRule', () => {
    this.CONSUME(T.Assert);
    this.OR([{ ALT: () => this.CONSUME(T.Never) }, { ALT: () => this.CONSUME(T.Always) }]);
    this.OR2([
      { ALT: () => this.CONSUME(T.Allow, { LABEL: 'effect' }) },
      { ALT: () => this.CONSUME(T.Deny, { LABEL: 'effect' }) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: 'effect' }) },
    ]);
    this.SUBRULE(this.toolTarget);
    this.OPTION(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expr);
    });
  });

  // ---- expressions -------------------------------------------------------------------------------------

  expr = this.RULE('expr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expr);
          this.CONSUME(T.RParen);
        },
      },
      {
        GATE: () => this.LA(2).tokenType === T.Has,
        ALT: () => {
          this.CONSUME(T.Agent);
          this.CONSUME(T.Has);
          this.CONSUME(T.Role);
          this.CONSUME(T.Identifier, { LABEL: 'role' });
        },
      },
      { ALT: () => this.SUBRULE(this.calledExpr) },
      {
        GATE: () => this.LA(1).tokenType === T.Identifier && this.LA(2).tokenType === T.LParen,
        ALT: () => this.SUBRULE(this.detectorCall),
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  // called TOOLS [where (COND)] [within D]
  calledExpr = this.RULE('calledExpr', () => {
    this.CONSUME(T.Called);
    this.SUBRULE(this.toolTarget);
    this.OPTION(() => {
      this.CONSUME(T.Where);
      this.CONSUME(T.LParen);
      this.SUBRULE(this.expr);
      this.CONSUME(T.RParen);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Within);
      this.CONSUME(T.DurationLit);
    });
  });

  // pii(args.body, email, phone)
  detectorCall = this.RULE('detectorCall', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.LParen);
    this.SUBRULE(this.value);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.Identifier, { LABEL: 'kind' });
    });
    this.CONSUME(T.RParen);
  });

  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.value, { LABEL: 'left' });
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            this.SUBRULE(this.cmpOp);
            this.SUBRULE2(this.value, { LABEL: 'right' });
          },
        },
        {
          ALT: () => {
            this.OPTION2(() => this.CONSUME(T.Not));
            this.CONSUME(T.In);
            this.SUBRULE3(this.value, { LABEL: 'right' });
          },
        },
        {
          ALT: () => {
            this.OR2([
              { ALT: () => this.CONSUME(T.StartsWith, { LABEL: 'strFn' }) },
              { ALT: () => this.CONSUME(T.EndsWith, { LABEL: 'strFn' }) },
              { ALT: () => this.CONSUME(T.Contains, { LABEL: 'strFn' }) },
            ]);
            this.SUBRULE4(this.value, { LABEL: 'right' });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Matches);
            this.CONSUME(T.StringLit, { LABEL: 'pattern' });
          },
        },
      ]);
    });
  });

  cmpOp = this.RULE('cmpOp', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.EqEq) },
      { ALT: () => this.CONSUME(T.Ne) },
      { ALT: () => this.CONSUME(T.Le) },
      { ALT: () => this.CONSUME(T.Ge) },
      { ALT: () => this.CONSUME(T.Lt) },
      { ALT: () => this.CONSUME(T.Gt) },
    ]);
  });

  value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.path) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.SUBRULE(this.numberLit) },
      { ALT: () => this.CONSUME(T.DurationLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.value, { LABEL: 'item' }) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  // [-]N [CUR]
  numberLit = this.RULE('numberLit', () => {
    this.OPTION(() => this.CONSUME(T.Minus));
    this.CONSUME(T.NumberLit);
    this.OPTION2({
      GATE: () => /^[A-Z]{3}$/.test(this.LA(1).image),
      DEF: () => this.CONSUME(T.Identifier, { LABEL: 'currency' }),
    });
  });

  // args.x.y | context.x | agent.id | result.x | prior.x
  path = this.RULE('path', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Agent, { LABEL: 'root' }) },
      { ALT: () => this.CONSUME(T.Context, { LABEL: 'root' }) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: 'root' }) },
    ]);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Name, { LABEL: 'segment' });
    });
  });
}

/** Builds a parser with chevrotain's grammar validations; throws when the grammar has a problem. For tests. */
export function checkGrammar(): void {
  new WritParser(true);
}

/** One parser instance: chevrotain parsers are reusable by resetting `input`. */
export const parser = new WritParser();

/**
 * Parses a token vector into a CST. `onStatement`, if given, sees each top-level statement's node as soon as
 * the statement is parsed (it may lower it and drop its children: a file's CST is then never whole in memory,
 * which saves most of the garbage collector's work on large files).
 */
export function parseTokens(
  tokens: ReturnType<typeof T.writLexer.tokenize>['tokens'],
  onStatement?: (statement: CstNode) => void,
): {
  cst: CstNode;
  errors: IRecognitionException[];
} {
  parser.input = tokens;
  parser.onStatement = onStatement;
  try {
    const cst = parser.file();
    return { cst, errors: [...parser.errors] };
  } finally {
    parser.onStatement = undefined;
  }
}

/** The grammar's rule names, for the test that keeps grammar/GRAMMAR.md in step with the parser. */
export function grammarRuleNames(): string[] {
  return Object.keys(parser.getGAstProductions());
}
