//! The engine's G0 facts (`src/chip/g0`) and this simulator were written apart, each from the
//! reference; here they meet. If one of them misreads the reference, the two disagree and a
//! test fails — which is the point of keeping them apart.

use std::time::{Duration, Instant};

use super::flash::{cr, key, reg, sr};
use super::store::OPTION_OFFSETS;
use super::{G0Flash, G0OptionStore, G0SimLine, G0SimPart};
use crate::chip::g0::geometry::BankMode;
use crate::chip::g0::{self as facts, G0Layout, OptrField, Swap};

/// Every layout the facts say a part can be in, with the OPTR that selects it.
fn layouts() -> Vec<(G0Layout, u32)> {
    let mut out = Vec::new();
    for kb in [128, 256, 512] {
        for (mode, swap) in [
            (BankMode::Single, Swap::Off),
            (BankMode::Dual, Swap::Off),
            (BankMode::Dual, Swap::On),
        ] {
            let Ok(layout) = G0Layout::new(kb, mode, swap) else {
                continue;
            };
            let mut optr = facts::FACTORY_OPTR_G0X1;
            // The 128 KB part keeps the factory DUAL_BANK = 1, which it ignores.
            if kb > 128 {
                optr = OptrField::DualBank.set(optr, u32::from(mode == BankMode::Dual));
            }
            optr = OptrField::NSwapBank.set(optr, u32::from(swap.nswap_bank()));
            out.push((layout, optr));
        }
    }
    out
}

fn sim_with(kb: u32, optr: u32) -> G0Flash {
    let mut store = G0OptionStore::factory(G0SimLine::G0x1);
    store.optr = optr;
    let mut f = G0Flash::with_store(G0SimLine::G0x1, kb, store);
    f.timing.page_erase = Duration::ZERO;
    f
}

#[test]
fn registers_identity_and_factory_words_agree() {
    let sim_offsets: Vec<u32> = OPTION_OFFSETS.to_vec();
    let fact_offsets: Vec<u32> = facts::registers::FlashRegister::OPTIONS
        .iter()
        .map(|r| r.offset())
        .collect();
    assert_eq!(sim_offsets, fact_offsets);
    assert_eq!(facts::registers::FLASH_CR_BKER, cr::BKER);
    assert_eq!(facts::registers::FLASH_CR_PNB, cr::PNB_MASK);
    assert_eq!(
        facts::registers::FLASH_SR_ANY_BUSY,
        sr::BSY1 | sr::BSY2 | sr::CFGBSY
    );
    assert_eq!(facts::registers::FLASH_KEY1, key::KEY1);
    assert_eq!(facts::registers::FLASH_OPTKEY2, key::OPTKEY2);
    let part = G0SimPart::by_name("STM32G0B1RE").unwrap();
    assert_eq!(
        u32::from(facts::part::DEV_ID_G0B_G0C),
        part.idcode() & facts::registers::DBG_IDCODE_DEV_ID
    );
    assert_eq!(facts::registers::DBG_IDCODE, super::peripherals::map::DBG);
    assert_eq!(
        G0OptionStore::factory(G0SimLine::G0x1).words(),
        facts::G0Options::factory(facts::G0Line::G0B1).words()
    );
    assert_eq!(
        G0OptionStore::factory(G0SimLine::G0x0).optr,
        facts::G0Options::factory(facts::G0Line::G0B0).optr
    );
    assert_eq!(
        G0SimLine::G0x0.optr_fixed(),
        facts::fields::optr_reserved(facts::G0Line::G0B0)
    );
    assert_eq!(
        G0SimLine::G0x1.optr_fixed(),
        facts::fields::optr_reserved(facts::G0Line::G0B1)
    );
}

#[test]
fn every_address_lies_in_the_same_physical_bank() {
    for (layout, optr) in layouts() {
        let sim = sim_with(layout.flash_kb, optr);
        assert_eq!(
            sim.dual_bank(),
            layout.bank_mode == BankMode::Dual,
            "{layout:?}"
        );
        assert_eq!(sim.swapped(), layout.swap == Swap::On, "{layout:?}");
        for address in (facts::geometry::FLASH_BASE..layout.end()).step_by(1024) {
            let fact = layout.locate(address).map(|l| l.bank.number());
            assert_eq!(
                sim.physical_bank_at(address),
                fact,
                "{layout:?} {address:#x}"
            );
        }
        assert_eq!(sim.physical_bank_at(layout.end()), None);
    }
}

#[test]
fn every_page_the_facts_name_is_the_page_the_simulator_erases() {
    let now = Instant::now();
    for (layout, optr) in layouts() {
        let mut sim = sim_with(layout.flash_kb, optr);
        let n = sim.array().len();
        sim.restore_array(&vec![0; n]);
        sim.write(reg::KEYR, key::KEY1, now).unwrap();
        sim.write(reg::KEYR, key::KEY2, now).unwrap();
        let pages = layout.pages();
        for (i, page) in pages.iter().enumerate() {
            let what = format!("{layout:?} page {page:?}");
            assert_eq!(sim.read_flash(page.address, true), Ok(0), "{what}");
            sim.write(reg::CR, page.erase_bits(), now).unwrap();
            sim.write(reg::CR, page.erase_bits() | cr::STRT, now)
                .unwrap();
            assert_eq!(sim.read(reg::SR, now) & sr::PGSERR, 0, "{what}");
            assert_eq!(
                sim.read_flash(page.address, true),
                Ok(0xFFFF_FFFF),
                "{what}"
            );
            assert_eq!(
                sim.read_flash(page.end() - 4, true),
                Ok(0xFFFF_FFFF),
                "{what}"
            );
            if let Some(next) = pages.get(i + 1) {
                assert_eq!(
                    sim.read_flash(next.address, true),
                    Ok(0),
                    "{what}: next kept"
                );
            }
        }
        assert!(
            sim.array().iter().all(|&b| b == 0xFF),
            "{layout:?}: all erased"
        );
    }
}

#[test]
fn mass_erase_bits_name_the_same_bank() {
    let now = Instant::now();
    for (layout, optr) in layouts() {
        if layout.bank_mode != BankMode::Dual {
            continue;
        }
        for bank in facts::PhysicalBank::ALL {
            let mut sim = sim_with(layout.flash_kb, optr);
            let n = sim.array().len();
            sim.restore_array(&vec![0; n]);
            sim.write(reg::KEYR, key::KEY1, now).unwrap();
            sim.write(reg::KEYR, key::KEY2, now).unwrap();
            sim.write(reg::CR, bank.mass_erase_bit() | cr::STRT, now)
                .unwrap();
            let base = layout.base_of(bank).unwrap();
            let other = layout.base_of(bank.other()).unwrap();
            assert_eq!(
                sim.read_flash(base, true),
                Ok(0xFFFF_FFFF),
                "{layout:?} {bank:?}"
            );
            assert_eq!(sim.read_flash(other, true), Ok(0), "{layout:?} {bank:?}");
        }
    }
}
