"""Template-injection attempts: each refused quickly with a clear message; honest templates work."""

from __future__ import annotations

import importlib.metadata
import time
import uuid
from datetime import date
from typing import Any

import pytest
from jinja2 import (
    DictLoader,
    TemplateSyntaxError,
    pass_context,
    pass_environment,
    pass_eval_context,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext

from offer_render.diagnostics import Diagnostics
from offer_render.merge.budget import MAX_CONTENT_CHARS, running, size_of
from offer_render.merge.policy import is_engine_object
from offer_render.merge.sandbox import SandboxEnvironment
from tests.test_merge import one, refused

HANG_GUARD = 2.0
"""Seconds a refusal may take: a guard against hangs, not a speed test."""

SANDBOX = "rectangle 'R0': refused by the template sandbox: "


def refused_quickly(content: str, **kw: Any) -> str:
    """Return the error message for ``content``, asserting it came back within HANG_GUARD."""
    start = time.monotonic()
    path, message = refused(content, **kw)
    elapsed = time.monotonic() - start
    assert elapsed < HANG_GUARD, f"took {elapsed:.2f} s"
    assert path == "rectangles[0].content"
    return message


ATTEMPTS: list[tuple[str, str]] = [
    # attribute walks to Python internals
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}",
     "access to attribute '__class__' of a 'str' value is not allowed"),
    ("{{ name.__class__.__base__.__subclasses__() }}",
     "access to attribute '__class__' of a 'str' value is not allowed"),
    ("{{ offer['__class__'] }}", "access to attribute '__class__' of a 'dict' value"),
    ("{{ (1).__class__.mro() }}", "access to attribute '__class__' of a 'int' value"),
    ("{{ offer.stores|attr('__class__') }}", "access to attribute '__class__' of a 'list' value"),
    ("{{ range.__globals__ }}", "access to attribute '__globals__' of a 'function' value"),
    ("{{ cycler.__init__.__globals__.os.system('id') }}",
     "access to attribute '__init__' of a 'type' value is not allowed"),
    ("{{ joiner.__init__.__globals__ }}", "access to attribute '__init__' of a 'type' value"),
    ("{{ namespace.__init__.__globals__ }}", "access to attribute '__init__' of a 'type' value"),
    ("{{ cycler(1, 2).__dict__ }}", "access to attribute '__dict__' of a 'Cycler' value"),
    ("{{ self._TemplateReference__context }}",
     "access to attribute '_TemplateReference__context' of a 'TemplateReference' value"),
    ("{% for x in offer.stores %}{{ loop.__class__ }}{% endfor %}",
     "access to attribute '__class__' of a 'LoopContext' value"),
    # str.format and other growing methods
    ("{{ ''|attr('format') }}", "access to attribute 'format' of a 'str' value is not allowed"),
    ("{{ '{0.__class__}'.format(name) }}", "access to attribute 'format' of a 'str' value"),
    ("{{ '{:>999999999}'.format(1) }}", "access to attribute 'format' of a 'str' value"),
    ("{{ 'x'['format'] }}", "access to attribute 'format' of a 'str' value"),
    ("{{ name.format_map({}) }}", "access to attribute 'format_map' of a 'str' value"),
    ("{{ 'x'.zfill(1000000000) }}", "access to attribute 'zfill' of a 'str' value"),
    ("{{ 'x'.center(1000000000) }}", "access to attribute 'center' of a 'str' value"),
    ("{{ (1).to_bytes(1000000000, 'big') }}", "access to attribute 'to_bytes' of a 'int' value"),
    ("{{ offer.stores.append('x') }}", "access to attribute 'append' of a 'list' value"),
    ("{{ offer.extras.update(a=1) }}", "access to attribute 'update' of a 'dict' value"),
    # huge arithmetic
    ("{{ 'a' * 1000000000 }}", "the result of '*' would be too large"),
    ("{{ [1] * 1000000000 }}", "the result of '*' would be too large"),
    ("{{ (10 ** 1000) * (10 ** 1000) * (10 ** 1000) * (10 ** 1000) }}",
     "the result of '*' would be too large"),
    ("{{ 9 ** (9 ** 9) }}", "the exponent of '**' is too large"),
    ("{{ 2 ** 100000000 }}", "the exponent of '**' is too large"),
    ("{{ (10 ** 1000) ** 1000 }}", "the result of '**' would be too large"),
    ("{{ '%0999999999d' % 1 }}", "a '%' format width or precision above 1000 is not allowed"),
    ("{{ '%*d' % (999999999, 1) }}", "a '%' format width or precision above 1000"),
    ("{{ '%.999999999f'|format(1) }}", "a '%' format width or precision above 1000"),
    ("{{ 'x'|center(1000000000) }}", "center width may be at most 100000"),
    ("{{ ('x\n' * 40000)|indent(100) }}", "the result of filter 'indent' would be larger"),
    ("{{ ('ab' * 1000)|replace('', 'x' * 1000) }}", "the result of filter 'replace' would be"),
    # huge range and loops
    ("{{ range(10000000000) }}", "range() may give at most 10000 numbers"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range() may give at most 10000 numbers"),
    ("{{ range(10)|slice(10**9)|list }}", "slice count may be at most 10000"),
    ("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
     "the template ran more than 100000 loop iterations, calls and filters (an endless loop?)"),
    ("{% for a in range(9999) %}{% for b in range(9999) %}{% for c in range(9999) %}"
     "{% endfor %}{% endfor %}{% endfor %}", "the template ran more than 100000 loop"),
    ("{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}",
     "the template ran more than 100000 loop"),
    # recursion
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
     "calls nested more than 32 deep (does a macro call itself?)"),
    ("{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}", "calls nested more than 32 deep"),
    ("{% macro f() %}{% for i in range(20) %}{{ f() }}{% endfor %}{% endmacro %}{{ f() }}",
     "calls nested more than 32 deep"),
    ("{% block a %}{{ self.a() }}{% endblock %}", "calls nested more than 32 deep"),
    ("{% for x in [1] recursive %}{{ loop([1, 1]) }}{% endfor %}",
     "calls nested more than 32 deep"),
    ("{% macro f(n) %}{% for i in range(10) %}{{ caller() }}{% endfor %}{% endmacro %}"
     "{% call f(1) %}{% call f(1) %}{% call f(1) %}{% call f(1) %}{% call f(1) %}{% call f(1) %}"
     "x{% endcall %}{% endcall %}{% endcall %}{% endcall %}{% endcall %}{% endcall %}",
     "the template ran more than 100000 loop"),
    # growth through state: strings, lists, captured output
    ("{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
     "{% endfor %}", "the result of '~' would be larger than 100000 characters"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}"
     "{% endfor %}", "the result of '+' would be larger than 100000 characters or items"),
    ("{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = [ns.l, ns.l] %}"
     "{% endfor %}", "a list, tuple or dict would be larger than 100000 characters or items"),
    ("{% set ns = namespace(l=[]) %}{% for i in range(5000) %}{% set ns.l = [ns.l] %}"
     "{% endfor %}", "a list, tuple or dict would be larger than 100000 characters or items "
                     "(or nested more than 50 deep)"),
    ("{% set s = 'x' * 100000 %}{{ ([s] * 10000)|join }}", "a list, tuple or dict would be"),
    ("{{ range(10000)|map('center', 10000)|join }}",
     "the result of filter 'map' would be larger than 100000 items"),
    ("{% set x %}{% for i in range(10000) %}{% for j in range(9) %}" + "y" * 1000
     + "{% endfor %}{% endfor %}{% endset %}{{ x|length }}",
     "the template printed more than 1000000 characters"),
    ("{% macro big() %}{{ 'x' * 99999 }}{% endmacro %}{% set x %}{% for i in range(100) %}"
     "{{ big() }}{% endfor %}{% endset %}", "the template printed more than 1000000 characters"),
    # engine objects and helpers
    ("{{ lipsum(10000) }}", "lipsum() is not available in offer templates"),
    ("{{ lipsum }}", "a function or engine object (function) cannot be printed as text"),
    ("{{ cycler }}", "a function or engine object (type) cannot be printed as text"),
    ("{{ self }}", "a function or engine object (TemplateReference) cannot be printed"),
    ("{{ namespace(a=1) }}", "a function or engine object (Namespace) cannot be printed"),
    ("{{ name.upper }}", "a function or engine object (builtin_function_or_method) cannot be"),
]


@pytest.mark.parametrize(("content", "message"), ATTEMPTS)
def test_injection_attempt_is_refused_quickly(content: str, message: str) -> None:
    assert refused_quickly(content).startswith(SANDBOX + message)


@pytest.mark.parametrize(("content", "message"), [
    ("{% include 'x' %}", "template syntax error: '{% include %}' is not available in offer "
                          "templates in rectangle 'R0'"),
    ("{% import 'x' as y %}", "template syntax error: '{% import %}' is not available"),
    ("{% from 'x' import y %}", "template syntax error: '{% from ... import %}' is not available"),
    ("{% extends 'x' %}", "template syntax error: '{% extends %}' is not available"),
    ("{{ range(3)|random }}", "template syntax error: No filter named 'random'."),
    ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
     "rectangle 'R0': template is nested too deeply"),
    ("x" * (MAX_CONTENT_CHARS + 1), "rectangle 'R0': content is longer than 100000 characters"),
])
def test_unavailable_features_are_refused(content: str, message: str) -> None:
    assert refused_quickly(content).startswith(message)


def test_refusal_in_strict_mode_is_the_same() -> None:
    message = refused_quickly("{{ ''.__class__ }}", diag=Diagnostics(strict=True))
    assert message.startswith(SANDBOX + "access to attribute '__class__'")


def test_a_refusal_leaves_the_next_render_unaffected() -> None:
    refused_quickly("{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}")
    assert one("{% for i in range(3) %}{{ i }}{% endfor %}") == "012"


# ---------------------------------------------------------------- honest templates

@pytest.mark.parametrize(("content", "expected"), [
    ("{% set ns = namespace(total=0) %}{% for s in offer.stores %}{% set ns.total = ns.total"
     " + 1 %}{% endfor %}{{ ns.total }}", "2"),
    ("{% macro tag(t) %}[{{ t }}]{% endmacro %}{{ tag(name) }}{{ tag(stores) }}",
     "[Great Offer!][Shop A, Shop B]"),
    ("{% macro count(n) %}{% if n > 0 %}{{ n }}{{ count(n - 1) }}{% endif %}{% endmacro %}"
     "{{ count(5) }}", "54321"),
    ("{% for s in offer.stores %}{{ loop.index }}. {{ s }}{{ ', ' if not loop.last }}"
     "{% endfor %}", "1. Shop A, 2. Shop B"),
    ("{% for k, v in offer.extras.items() %}{{ k }}={{ v }}{% endfor %}", "something=additional"),
    ("{{ name ~ ' @ ' ~ stores }}", "Great Offer! @ Shop A, Shop B"),
    ("{{ '%s: %d%%'|format(name, 20) }} {{ '%-6s|' % 'ab' }}", "Great Offer!: 20% ab    |"),
    ("{{ (offer.stock * 2 + 1) // 3 }} {{ 10 / 4 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ -offer.stock }}",
     "20 2.5 1 1024 -30"),
    ("{{ [1, 2] + [3] }} {{ (1, 2) }} {{ {'a': 1} }}", "[1, 2, 3] (1, 2) {'a': 1}"),
    ("{{ offer.extras.get('something') }} {{ offer.extras.keys()|list }}",
     "additional ['something']"),
    ("{% set c = cycler('a', 'b') %}{% for i in range(3) %}{{ c.next() }}{% endfor %}", "aba"),
    ("{% set j = joiner('/') %}{% for s in offer.stores %}{{ j() }}{{ s }}{% endfor %}",
     "Shop A/Shop B"),
    ("{% for i in range(2) %}{% for j in range(2) %}{{ i }}{{ j }} {% endfor %}{% endfor %}",
     "00 01 10 11 "),
    ("{{ range(5)|batch(2)|list }}", "[[0, 1], [2, 3], [4]]"),
    ("{% filter upper %}{{ name }}{% endfilter %}", "GREAT OFFER!"),
    ("{{ '-' * 3 }}{{ 'ab' * 2 }}", "---abab"),
])
def test_honest_templates_still_work(content: str, expected: str) -> None:
    assert one(content) == expected


def test_loops_up_to_the_limits_are_fine() -> None:
    text = one("{% for i in range(10000) %}{% if i % 1000 == 0 %}{{ i }},{% endif %}{% endfor %}")
    assert text == "0,1000,2000,3000,4000,5000,6000,7000,8000,9000,"


def test_caller_objects_print_as_text() -> None:
    code = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert one("{{ code }} {{ when }}", context={"code": code, "when": date(2030, 5, 5)}) == (
        "12345678-1234-5678-1234-567812345678 2030-05-05")


def test_offer_data_named_like_a_method_is_data() -> None:
    offer = {"id": 1, "extras": {"copy": "Copy text", "pop": "Pop!"}}
    assert one("{{ offer.extras.copy }} {{ offer.extras.pop }}", offer=offer) == "Copy text Pop!"


@pytest.mark.parametrize(("value", "size"), [
    ("abc", 3), ([], 1), (["ab", "c"], 4), ({"a": [1, 2]}, 5), (range(10), 11), (None, 1),
])
def test_size_of(value: object, size: int) -> None:
    assert size_of(value) == size


def test_size_of_counts_shared_parts_each_time_and_stops_early() -> None:
    doubled: list[object] = [1]
    for _ in range(60):
        doubled = [doubled, doubled]
    start = time.monotonic()
    assert size_of(doubled, limit=1000) > 1000
    assert time.monotonic() - start < 0.5


def test_a_constant_literal_nested_past_the_limit_is_refused() -> None:
    # Refused like any other literal, even where the compiler could fold it to a constant.
    content = "{{ " + "[" * 60 + "1" + "]" * 60 + "|length }}"
    assert refused_quickly(content).startswith(
        SANDBOX + "a list, tuple or dict would be larger than 100000 characters or items "
                  "(or nested more than 50 deep)")


# ---------------------------------------------------------------- the rewrite's hooks

LOOP_COUNTER = (SANDBOX + "filter '_loop_guard' is the sandbox's own loop counter; its argument "
                "must be a whole number of characters, 0 or more")


@pytest.mark.parametrize("content", [
    "{{ [1]|_loop_guard|list }}",
    "{% for i in range(3)|_loop_guard(-1000000) %}{% endfor %}",
    "{{ ('a', 'b')|_concat_guard }}",
    "{{ [1]|_literal_guard }}",
    "{% filter _concat_guard %}x{% endfilter %}",
])
def test_a_template_cannot_name_the_rewrites_hooks(content: str) -> None:
    assert refused_quickly(content).startswith("template syntax error: No filter named '_")


@pytest.mark.parametrize("content", [
    # A negative count would pay back printed characters: a 1 GB {% set %} block.
    "{% set s = 'x' * 99999 %}{% set x %}{% for g in [[1] * 10000]|map('_loop_guard', -1000000) %}"
    "{% for i in g %}{{ s }}{% endfor %}{% endfor %}{% endset %}{{ x|length }}",
    "{% for g in [[1]]|map('_loop_guard', '1') %}{% for i in g %}{% endfor %}{% endfor %}",
    "{% for g in [[1]]|map('_loop_guard', true) %}{% for i in g %}{% endfor %}{% endfor %}",
])
def test_the_loop_counter_refuses_a_count_from_the_template(content: str) -> None:
    assert refused_quickly(content) == LOOP_COUNTER


def test_hooks_reached_by_name_at_run_time_only_count_and_check() -> None:
    assert one("{{ [('a', 'b')]|map('_concat_guard')|list }} "
               "{{ [[1, 2]]|map('_literal_guard')|list }} "
               "{% for g in [[1, 2]]|map('_loop_guard') %}{{ g|list }}{% endfor %}"
               ) == "['ab'] [[1, 2]] [1, 2]"


def counts(content: str, **variables: Any) -> tuple[str, int, int]:
    """Render ``content`` in a bare sandbox; return the text, steps and printed characters."""
    template = SandboxEnvironment().from_string(content)
    with running() as budget:
        text = template.render(**variables)
    return text, budget.steps, budget.printed


def test_each_loop_iteration_counts_once_with_its_fixed_text() -> None:
    # range() is one call; each of the 3 iterations one step and 2 characters of "ab".
    assert counts("{% for i in range(3) %}ab{% endfor %}") == ("ababab", 4, 6)


def test_a_tree_from_parse_is_rewritten_too() -> None:
    env = SandboxEnvironment()
    with pytest.raises(TemplateSyntaxError, match=r"'\{% include %\}' is not available"):
        env.from_string(env.parse("{% include 'x' %}"))
    template = env.from_string(env.parse("{% for i in [1, 2] %}{% endfor %}"))
    with running() as budget:
        template.render()
    assert budget.steps == 2


def test_a_loader_is_refused() -> None:
    with pytest.raises(ValueError, match="compiles strings only; a loader is not supported"):
        SandboxEnvironment(loader=DictLoader({}))


# ---------------------------------------------------------------- Jinja2 internals relied on
# The sandbox overrides a few SandboxedEnvironment methods and uses one class that Jinja2 does
# not document (offer_render/merge/sandbox.py lists them). Each test below checks one of them
# and, if a Jinja2 release changed it, says which and what it breaks.

JINJA2 = f"Jinja2 {importlib.metadata.version('jinja2')}"
PIN = "keep Jinja2 below this release in pyproject.toml or port offer_render/merge/sandbox.py"


def counts_or_fail(problem: str, content: str, **variables: Any) -> tuple[str, int, int]:
    """Return :func:`counts`, or fail with ``problem`` and the error if rendering fails."""
    try:
        return counts(content, **variables)
    except Exception as e:  # noqa: BLE001 - any failure here means the internal changed
        pytest.fail(f"{problem} ({type(e).__name__}: {e})")


def test_jinja2_calls_go_through_sandbox_call() -> None:
    seen: list[tuple[Any, ...]] = []

    def keep(*args: Any, **kwargs: Any) -> str:
        seen.append((*args, kwargs))
        return ""

    problem = (f"{JINJA2} no longer makes template calls through "
               "SandboxedEnvironment.call(context, obj, *args, **kwargs), where the sandbox "
               f"counts calls and their nesting (MAX_STEPS, MAX_DEPTH): {PIN}")
    _, steps, _ = counts_or_fail(problem, "{{ keep(1, k=2) }}", keep=keep)
    assert seen == [(1, {"k": 2})], problem
    assert steps == 1, problem


def test_jinja2_attribute_lookups_go_through_sandbox_getattr() -> None:
    problem = (f"{JINJA2} no longer looks up a.b through SandboxedEnvironment.getattr(obj, "
               f"name), where the sandbox lets offer data named like a dict method win: {PIN}")
    text, _, _ = counts_or_fail(problem, "{{ d.copy }}", d={"copy": "data"})
    assert text == "data", problem


def test_jinja2_asks_wrap_str_format_before_handing_out_str_format() -> None:
    template = SandboxEnvironment().from_string("{{ '{:>9}'.format(1) }}")
    try:
        text = template.render()
    except SecurityError as e:
        message = str(e)
    else:
        pytest.fail(
            f"{JINJA2} gave a template str.format ({text!r}): it no longer asks "
            "SandboxedEnvironment.wrap_str_format(value) before is_safe_attribute, and a "
            f"format width allocates at will: {PIN}")
    assert message == "access to attribute 'format' of a 'str' value is not allowed"


LOOP_PROBLEM = ("which SandboxEnvironment.call looks for to count the iterations of a "
                f"recursive loop(children): {PIN}")


def test_jinja2_loop_variable_is_a_loop_context() -> None:
    seen: list[object] = []
    counts("{% for x in [1] %}{{ keep(loop) }}{% endfor %}", keep=seen.append)
    kind = f"{type(seen[0]).__module__}.{type(seen[0]).__name__}"
    assert isinstance(seen[0], LoopContext), (
        f"{JINJA2}'s loop variable is a {kind}, not jinja2.runtime.LoopContext, {LOOP_PROBLEM}")


def test_recursive_loop_iterations_are_counted() -> None:
    # 2 outer iterations, 1 call of loop(x), 2 inner iterations (3 steps if they went uncounted)
    content = ("{% for x in [[1, 2], 3] recursive %}{% if x is iterable %}{{ loop(x) }}"
               "{% else %}{{ x }}{% endif %}{% endfor %}")
    assert counts(content) == ("123", 5, 0), (
        f"{JINJA2} calls a recursive loop other than through a jinja2.runtime.LoopContext, "
        f"{LOOP_PROBLEM}")


def test_jinja2_engine_objects_are_defined_in_the_jinja2_package() -> None:
    seen: list[object] = []
    counts("{% for x in [1] %}{{ keep(loop) }}{% endfor %}{{ keep(self) }}"
           "{{ keep(namespace()) }}{{ keep(cycler(1)) }}{{ keep(joiner()) }}", keep=seen.append)
    outside = [f"{type(o).__module__}.{type(o).__name__}" for o in seen if not is_engine_object(o)]
    assert len(seen) == 5
    assert not outside, (
        f"{JINJA2} defines {outside} outside the jinja2 package; the sandbox tells engine "
        "objects (never printed) by their class's module: update "
        "offer_render.merge.policy.is_engine_object")


def test_jinja2_passes_its_argument_to_a_wrapped_filter() -> None:
    env = SandboxEnvironment()
    env.add_filter("ctx", pass_context(lambda c, v: type(c).__name__))
    env.add_filter("evc", pass_eval_context(lambda c, v: type(c).__name__))
    env.add_filter("envt", pass_environment(lambda c, v: type(c).__name__))
    problem = (f"{JINJA2} no longer passes the context, eval context or environment to a "
               "filter wrapped with functools.wraps (which copies the function's attributes, "
               f"where Jinja2's pass_context marks it): {PIN}")
    try:
        text = env.from_string("{{ x|ctx }} {{ 1|evc }} {{ 1|envt }}").render(x=1)
    except TypeError as e:
        pytest.fail(f"{problem} ({e})")
    assert text == "Context EvalContext SandboxEnvironment", problem
