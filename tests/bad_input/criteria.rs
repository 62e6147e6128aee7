//! Bad-input cases: criteria (`criteria/2023/index.toml`, `tree/*.toml`,
//! `exemptions.toml`).

use super::*;

const INDEX: &str = "criteria/2023/index.toml";
const EXEMPTIONS: &str = "criteria/2023/exemptions.toml";
const TREE_3: &str = "criteria/2023/tree/03-thu-tuc-hanh-chinh.toml";

/// A second `[[exemption]]` with the id of the first.
#[test]
fn two_exemptions_with_one_id() {
    let t = temp_tree();
    append(t.path(), EXEMPTIONS, "\n[[exemption]]\nid = \"khong-sipas\"\nunits = [\"so-tttt\"]\ncriteria = [\"3.1\"]\nreason = \"lặp\"\n");
    let line = line_of(t.path(), EXEMPTIONS, "reason = \"lặp\"") - 3;
    rejected(t.path(), "DUPLICATE", EXEMPTIONS, Some(line));
}

#[test]
fn an_exemption_naming_a_unit_twice() {
    let t = temp_tree();
    edit(t.path(), EXEMPTIONS, "units = [\"vp-ubnd\"]\n", "units = [\"vp-ubnd\", \"vp-ubnd\"]\n");
    let line = line_of(t.path(), EXEMPTIONS, "units = [\"vp-ubnd\", \"vp-ubnd\"]");
    rejected(t.path(), "DUPLICATE", EXEMPTIONS, Some(line));
}

#[test]
fn an_exemption_naming_a_criterion_twice() {
    let t = temp_tree();
    edit(t.path(), EXEMPTIONS, "criteria = [\"1.2.3\", \"3\",", "criteria = [\"1.2.3\", \"3\", \"1.2.3\",");
    let line = line_of(t.path(), EXEMPTIONS, "criteria = [\"1.2.3\", \"3\", \"1.2.3\",");
    rejected(t.path(), "DUPLICATE", EXEMPTIONS, Some(line));
}

#[test]
fn an_exemption_naming_a_part_twice() {
    let t = temp_tree();
    edit(t.path(), EXEMPTIONS, "parts = [\"sipas\"]", "parts = [\"sipas\", \"sipas\"]");
    let line = line_of(t.path(), EXEMPTIONS, "parts = [\"sipas\", \"sipas\"]");
    rejected(t.path(), "DUPLICATE", EXEMPTIONS, Some(line));
}

#[test]
fn two_groups_with_one_id() {
    let t = temp_tree();
    edit(t.path(), INDEX, "id = \"huyen\"", "id = \"so-100\"");
    let line = line_of(t.path(), INDEX, "name = \"Huyện, thành phố\"") - 1;
    rejected(t.path(), "DUPLICATE", INDEX, Some(line));
}

/// Today a unit listed twice in its own group is "in 2 ranking groups".
#[test]
fn a_group_naming_a_unit_twice() {
    let t = temp_tree();
    edit(t.path(), INDEX, "units = [\"vp-ubnd\", \"bql-kkt\",", "units = [\"vp-ubnd\", \"vp-ubnd\", \"bql-kkt\",");
    let line = line_of(t.path(), INDEX, "\"vp-ubnd\", \"vp-ubnd\"");
    rejected(t.path(), "DUPLICATE", INDEX, Some(line));
}

#[test]
fn a_rule_script_named_twice() {
    let t = temp_tree();
    edit(t.path(), INDEX, "scripts = [\"tiers\", \"proportional\"]", "scripts = [\"tiers\", \"proportional\", \"tiers\"]");
    rejected(t.path(), "DUPLICATE", INDEX, Some(line_of(t.path(), INDEX, "scripts = [")));
}

/// Today every command panics with `Addition overflowed`.
#[test]
fn a_maximum_as_large_as_a_decimal_goes() {
    let t = temp_tree();
    edit(t.path(), TREE_3, "max = { department = 1.5 }", "max = { department = \"79228162514264337593543950335\" }");
    let line = line_of(t.path(), TREE_3, "79228162514264337593543950335");
    rejected(t.path(), "BAD_MAXIMUM", TREE_3, Some(line));
}

/// Today two million points enter the scale and every department's index collapses.
#[test]
fn an_absurd_maximum() {
    let t = temp_tree();
    edit(t.path(), TREE_3, "max = { department = 1.5 }", "max = { department = 2000000 }");
    rejected(t.path(), "BAD_MAXIMUM", TREE_3, Some(line_of(t.path(), TREE_3, "2000000")));
}

/// A maximum below zero, pointed at where it is written (not at the id).
#[test]
fn a_negative_maximum_at_its_line() {
    let t = temp_tree();
    edit(t.path(), TREE_3, "max = { department = 1.5 }", "max = { department = -1.5 }");
    rejected(t.path(), "BAD_MAXIMUM", TREE_3, Some(line_of(t.path(), TREE_3, "-1.5")));
}

/// `previous_year` names this year or a later one.
#[test]
fn a_previous_year_that_is_not_before() {
    let t = temp_tree();
    edit(t.path(), INDEX, "year = 2023\n", "year = 2023\nprevious_year = 2023\n");
    rejected(t.path(), "WRONG_YEAR", INDEX, Some(line_of(t.path(), INDEX, "previous_year")));
}

/// `previous_year` says 2021, but previous.toml holds 2022.
#[test]
fn a_previous_year_that_previous_toml_does_not_hold() {
    let t = temp_tree();
    edit(t.path(), INDEX, "year = 2023\n", "year = 2023\nprevious_year = 2021\n");
    let file = "fixtures/2023/previous.toml";
    rejected(t.path(), "WRONG_YEAR", file, Some(line_of(t.path(), file, "year = 2022")));
}

/// An exemption of districts from criteria only departments have.
#[test]
fn an_exemption_for_a_kind_without_the_criteria() {
    let t = temp_tree();
    append(
        t.path(),
        EXEMPTIONS,
        "\n[[exemption]]\nid = \"vo-ich\"\nunits = [\"sin-ho\"]\ncriteria = [\"3.1\", \"3.3\"]\nreason = \"không thay đổi gì\"\n",
    );
    warned(t.path(), "REDUNDANT_EXEMPTION", EXEMPTIONS, Some(line_of(t.path(), EXEMPTIONS, "units = [\"sin-ho\"]")));
}

/// An exemption of departments from the impact part, which only districts have.
#[test]
fn an_exemption_from_a_part_the_kind_does_not_have() {
    let t = temp_tree();
    append(
        t.path(),
        EXEMPTIONS,
        "\n[[exemption]]\nid = \"vo-ich\"\nunits = [\"so-yt\"]\nparts = [\"impact\"]\nreason = \"không thay đổi gì\"\n",
    );
    warned(t.path(), "REDUNDANT_EXEMPTION", EXEMPTIONS, Some(line_of(t.path(), EXEMPTIONS, "units = [\"so-yt\"]")));
}

/// Thanh tra tỉnh is exempt from 4.3 already; a second exemption of 4.3.1 changes nothing.
#[test]
fn an_exemption_of_a_unit_already_exempt() {
    let t = temp_tree();
    append(
        t.path(),
        EXEMPTIONS,
        "\n[[exemption]]\nid = \"lap-lai\"\nunits = [\"thanh-tra\"]\ncriteria = [\"4.3.1\"]\nreason = \"đã miễn\"\n",
    );
    warned(t.path(), "REDUNDANT_EXEMPTION", EXEMPTIONS, Some(line_of(t.path(), EXEMPTIONS, "units = [\"thanh-tra\"]")));
}
