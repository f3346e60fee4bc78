"""What the commands say when they succeed, in French: import, close, invoice,
settle, clear, reverse, apply-rules, member status, commit, trades, help. The
English lines are the other tests' (their output is unchanged); the journal and
the commit subjects stay as they are whatever the language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Coop


def fr(coop: Coop, *args: str) -> str:
    result = coop.run("--lang", "fr", *args)
    assert result.code == 0, result.text
    return result.out


def test_import_in_french(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(
        "date,payer,payee,amount,memo\n"
        "2026-11-03,fournil,alice,234.50,pain\n"
        "2026-11-04,bob,alice,30,jardinage\n",
        encoding="utf-8",
    )

    dry = fr(coop, "import", str(slips), "--dry-run")
    done = fr(coop, "import", str(slips))

    assert "Essai : 2 échanges à enregistrer ; rien n'est écrit." in dry
    assert "03/11/2026  fournil → alice 234,50 SEL  pain" in done
    assert "Enregistré : 2 échanges dans 2 fichiers (commit " in done
    sha = coop.git("rev-parse", "HEAD").strip()
    undone = fr(coop, "import", "--undo", sha)
    assert f"Contre-passé : 2 échange(s) de l'import {sha[:8]} (commit " in undone


def test_close_in_french(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-09-02").code == 0

    said = fr(coop, "close", "2026-09")

    assert said.startswith("Clos : septembre 2026 ; empreinte de 1 écriture dans journal/2026/09/")
    assert "les fichiers du mois rassemblés dans" in said


def test_invoice_settle_and_clear_in_french(coop: Coop) -> None:
    invoice = fr(
        coop, "invoice", "alice", "fournil", "120", "--ref", "F-031", "--date", "02/11/2026"
    )
    part = fr(coop, "settle", "F-031", "50", "--date", "20/11/2026")
    for debtor, creditor, ref in (("fournil", "bob", "F-032"), ("bob", "alice", "F-033")):
        fr(coop, "invoice", debtor, creditor, "30", "--ref", ref, "--date", "03/11/2026")
    listed = fr(coop, "invoices")
    planned = fr(coop, "clear")
    applied = fr(coop, "clear", "--apply")

    assert invoice.startswith(
        "Facture F-031 enregistrée : alice doit 120,00 SEL à fournil (commit "
    )
    assert part.startswith("Réglé : 50,00 SEL de la facture F-031 : alice → fournil ; reste 70,00")
    assert "factures (SEL)" in listed and "total restant" in listed and "02/11/2026" in listed
    assert "Compensation de 3 facture(s) ouverte(s), SEL, résolue par" in planned
    assert "Membres : chacun annule autant" in planned and "compensé débiteur" in planned
    assert "Rien à compenser" not in planned
    assert "Compensation " in applied and "appliquée (commit " in applied
    assert "Rien à compenser : rien n'a été écrit." in fr(coop, "clear", "--apply")


def test_reverse_trades_and_member_status_in_french(coop: Coop) -> None:
    recorded = json.loads(coop.run("trade", "alice", "bob", "12.50", "--json").out)
    trade_id = recorded["trade"]["id"]

    listed = fr(coop, "trades")
    reversed_ = fr(coop, "reverse", trade_id[-8:])
    suspended = fr(coop, "member", "suspend", "bob", "--date", "2026-11-26")
    back = fr(coop, "member", "reactivate", "bob", "--date", "2026-11-27")

    assert "SEL du Canal : 1 échange" in listed and "25/11/2026" in listed and "12,50" in listed
    assert reversed_.startswith(f"{trade_id} contre-passé par ")
    assert "bob → alice 12,50 SEL (commit " in reversed_
    assert suspended.startswith("bob : suspension à partir du 26 novembre 2026 (commit ")
    assert back.startswith("bob : de nouveau membre actif à partir du 27 novembre 2026")
    assert coop.log()[0].startswith("member: ")  # the commit subjects stay as they were


def test_apply_rules_and_limit_in_french(coop: Coop) -> None:
    coop.append(
        "rules.yaml",
        "accounts:\n  treasury: Assets:Coop:Treasury\n"
        "contribution:\n  into: treasury\n  person: {amount: 2, per: month}\n",
    )
    coop.commit_all("rules: a contribution")

    dry = fr(coop, "apply-rules", "2026-10", "--dry-run")
    done = fr(coop, "apply-rules", "2026-10")
    again = fr(coop, "apply-rules", "2026-10")
    limit = fr(coop, "member", "limit", "bob", "--floor", "-600", "--from", "2026-12-01")

    assert "contribution 2026-10 : 6,00 SEL vers Assets:Coop:Treasury" in dry
    assert "Essai : rien n'est écrit. journal/2026/10/" in dry
    assert "Écrit : 1 écriture dans journal/2026/10/" in done
    assert "contribution 2026-10 : déjà appliquée, rien n'est réécrit" in again
    assert "  plancher  la valeur de la catégorie, -600,00 à partir du 1 décembre 2026" in limit
    assert "  plafond   la valeur de la catégorie" in limit


def test_commit_and_help_in_french(coop: Coop) -> None:
    coop.append("members.yaml", "")
    text = coop.read("members.yaml").replace("Bob Durand", "Robert Durand")
    coop.write("members.yaml", text)

    committed = fr(coop, "commit", "-m", "bob s'appelle Robert")
    guides = fr(coop, "help")

    assert committed.startswith("Commit ") and "de 1 fichier : members.yaml" in committed
    assert guides.startswith("Guides (coopledger help SUJET) :")
    assert "Les options de chaque commande : coopledger COMMANDE --help" in guides


def test_member_statuses_in_french_tables(coop: Coop) -> None:
    fr(coop, "member", "suspend", "bob", "--date", "2026-11-20")

    balances = fr(coop, "balances")

    assert "Bob Durand (suspendu)" in balances
    assert "Bob Durand (suspended)" in coop.run("balances").out


def test_member_list_and_show_in_french(coop: Coop) -> None:
    fr(coop, "trade", "alice", "fournil", "12,50", "--date", "02/11/2026")

    listed = fr(coop, "member", "list")
    shown = fr(coop, "member", "show", "alice")

    assert "SEL du Canal : 4 membres" in listed
    assert "adhésion" in listed and "statut" in listed and "01/01/2024" in listed
    assert "-12,50" in listed and "actif" in listed
    assert shown.splitlines()[:4] == [
        "alice: Alice Martin",
        "  catégorie  person",
        "  adhésion   1 janvier 2024",
        "  statut     actif",
    ]
    assert "  solde      -12,50 SEL" in shown and "  plancher   -500,00 SEL" in shown


def test_trading_with_a_partner_group_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_federation import link, make_group

    a, b = make_group(tmp_path, capsys, "sel-a"), make_group(tmp_path, capsys, "sel-b")
    link(a, b, floor="-100", ceiling="100", rate="2")
    link(b, a, floor="-200", ceiling="200", rate="0.5")

    traded = fr(a, "trade", "alice", "sel-b/zoe", "40", "--as", "alice")
    synced = fr(b, "partner", "sync", "sel-a")
    checked = fr(a, "partner", "check", "sel-b")
    listed = fr(a, "partner", "list")

    assert "alice → sel-b/zoe 40,00 GRAIN (80,00 en unités de sel-b) (commit " in traded
    assert "position face à sel-b : -40,00" in traded
    assert "sel-a/alice → zoe 80,00 PIGNE" in synced
    assert "1 enregistré(s), 0 refusé(s), 0 déjà enregistré(s) (commit " in synced
    assert "les comptes concordent" in checked
    assert "groupes partenaires (GRAIN ; position" in listed and "taux" in listed
