//! The built-in sample: a synthetic e-commerce customer table that this project generates
//! itself (no real customer is in it), with the same kind of columns as the Kaggle
//! *E-Commerce Customer Churn* table and the same kinds of mess.
//!
//! How a row is made (seeded, so the same seed always gives the same table):
//! - Features are drawn independently from simple distributions shaped like the real columns:
//!   skewed counts (tenure, orders, coupons, days since the last order), small integer scores
//!   (city tier, satisfaction, devices), categories with realistic shares, and a cashback amount
//!   that rises with tenure and depends on the order category.
//! - Churn is drawn from a logistic model of those features: short tenure, a complaint, being
//!   single, tier-3 cities, recent orders, many addresses and devices raise the risk; tenure and
//!   cashback lower it. The intercept gives about 17 % churners.
//! - Then the mess: about 4.5 % of the cells of seven numeric columns are blank, three
//!   categorical columns mix synonyms (`Phone` / `Mobile Phone`, `CC` / `Credit Card`,
//!   `COD` / `Cash on Delivery`, `Mobile` / `Mobile Phone`), a few warehouse distances are
//!   implausibly large, and about 5 % of the rows repeat an earlier customer under a new ID.

use crate::rng::Rng;

pub const COLUMNS: [&str; 20] = [
    "CustomerID",
    "Churn",
    "Tenure",
    "PreferredLoginDevice",
    "CityTier",
    "WarehouseToHome",
    "PreferredPaymentMode",
    "Gender",
    "HourSpendOnApp",
    "NumberOfDeviceRegistered",
    "PreferedOrderCat",
    "SatisfactionScore",
    "MaritalStatus",
    "NumberOfAddress",
    "Complain",
    "OrderAmountHikeFromlastYear",
    "CouponUsed",
    "OrderCount",
    "DaySinceLastOrder",
    "CashbackAmount",
];

/// Columns that get blank cells.
const WITH_GAPS: [usize; 7] = [2, 5, 8, 15, 16, 17, 18];
const GAP_RATE: f64 = 0.045;
const REPEAT_RATE: f64 = 0.05;

const LOGIN: ([&str; 3], [f64; 3]) = (["Mobile Phone", "Computer", "Phone"], [49.0, 29.0, 22.0]);
const PAYMENT: ([&str; 7], [f64; 7]) = (
    [
        "Debit Card",
        "Credit Card",
        "E wallet",
        "UPI",
        "COD",
        "CC",
        "Cash on Delivery",
    ],
    [41.0, 27.0, 11.0, 7.0, 6.5, 5.0, 2.5],
);
const CATEGORY: ([&str; 6], [f64; 6]) = (
    [
        "Laptop & Accessory",
        "Mobile Phone",
        "Fashion",
        "Mobile",
        "Grocery",
        "Others",
    ],
    [36.0, 23.0, 15.0, 14.0, 7.0, 5.0],
);
const MARITAL: ([&str; 3], [f64; 3]) = (["Married", "Single", "Divorced"], [53.0, 32.0, 15.0]);

fn exp_int(rng: &mut Rng, mean: f64, max: f64) -> f64 {
    (-mean * (1.0 - rng.uniform()).ln()).round().min(max)
}

fn pick<const N: usize>(
    rng: &mut Rng,
    (names, weights): &([&'static str; N], [f64; N]),
) -> &'static str {
    names[rng.weighted(weights)]
}

/// One customer's cells, as text, in [`COLUMNS`] order (ID and churn filled in later).
fn customer(rng: &mut Rng) -> ([String; 20], f64) {
    let tenure = exp_int(rng, 10.0, 61.0);
    let login = pick(rng, &LOGIN);
    let tier = [1.0, 2.0, 3.0][rng.weighted(&[65.0, 4.0, 31.0])];
    let warehouse = if rng.bernoulli(0.002) {
        120.0 + rng.below(10) as f64
    } else {
        (5.0 + (rng.normal() * 9.0).abs()).round().min(36.0)
    };
    let payment = pick(rng, &PAYMENT);
    let gender = if rng.bernoulli(0.6) { "Male" } else { "Female" };
    let hours = (3.0 + 0.7 * rng.normal()).round().clamp(0.0, 5.0);
    let devices = (1 + rng.weighted(&[4.0, 5.0, 30.0, 42.0, 15.0, 4.0])) as f64;
    let category = pick(rng, &CATEGORY);
    let satisfaction = (1 + rng.weighted(&[21.0, 10.0, 30.0, 19.0, 20.0])) as f64;
    let marital = pick(rng, &MARITAL);
    let addresses = (1.0 + exp_int(rng, 3.0, 21.0)).min(22.0);
    let complain = f64::from(u8::from(rng.bernoulli(0.28)));
    let hike = 11.0 + exp_int(rng, 4.5, 15.0);
    let orders = 1.0 + exp_int(rng, 2.0, 15.0);
    let coupons = exp_int(rng, 1.5, 16.0).min(orders);
    let days = exp_int(rng, 4.5, 46.0);
    let category_cashback = match category {
        "Grocery" => 90.0,
        "Others" => 130.0,
        "Fashion" => 45.0,
        "Laptop & Accessory" => 20.0,
        _ => 0.0,
    };
    let cashback =
        (125.0 + category_cashback + 1.2 * tenure + 25.0 * rng.normal()).clamp(0.0, 325.0);
    let logit = -2.0 - 0.4 * tenure
        + 2.6 * complain
        + 1.7 * f64::from(u8::from(marital == "Single"))
        + 1.0 * f64::from(u8::from(tier == 3.0))
        - 0.15 * days
        + 0.45 * (satisfaction - 3.0)
        + 0.18 * (addresses - 3.0)
        + 0.6 * (devices - 3.5)
        + 1.2 * f64::from(u8::from(category.starts_with("Mobile")))
        - 0.012 * (cashback - 170.0);
    let p = 1.0 / (1.0 + (-logit).exp());
    let cells = [
        String::new(),
        String::new(),
        tenure.to_string(),
        login.into(),
        tier.to_string(),
        warehouse.to_string(),
        payment.into(),
        gender.into(),
        hours.to_string(),
        devices.to_string(),
        category.into(),
        satisfaction.to_string(),
        marital.into(),
        addresses.to_string(),
        complain.to_string(),
        hike.to_string(),
        coupons.to_string(),
        orders.to_string(),
        days.to_string(),
        format!("{cashback:.2}"),
    ];
    (cells, p)
}

/// A sample table of `rows` customers as CSV text (header included).
pub fn sample_csv(rows: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = csv::Writer::from_writer(Vec::with_capacity(rows * 96));
    out.write_record(COLUMNS).expect("writing to memory");
    let mut kept: Vec<[String; 20]> = Vec::new();
    for i in 0..rows {
        let mut cells = if !kept.is_empty() && rng.bernoulli(REPEAT_RATE) {
            kept[rng.below(kept.len())].clone()
        } else {
            let (mut cells, p) = customer(&mut rng);
            cells[1] = u8::from(rng.bernoulli(p)).to_string();
            for &c in &WITH_GAPS {
                if rng.bernoulli(GAP_RATE) {
                    cells[c].clear();
                }
            }
            // Remember a bounded pool of earlier customers to repeat.
            if kept.len() < 4096 {
                kept.push(cells.clone());
            } else {
                let slot = rng.below(kept.len());
                kept[slot] = cells.clone();
            }
            cells
        };
        cells[0] = (10_001 + i).to_string();
        out.write_record(&cells).expect("writing to memory");
    }
    String::from_utf8(out.into_inner().expect("flushing to memory"))
        .expect("the generator writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_shape_and_churn_rate() {
        let a = sample_csv(3000, 1);
        assert_eq!(a, sample_csv(3000, 1));
        assert_ne!(a, sample_csv(3000, 2));
        let lines: Vec<&str> = a.lines().collect();
        assert_eq!(lines.len(), 3001);
        assert_eq!(lines[0], COLUMNS.join(","));
        let churners = lines[1..]
            .iter()
            .filter(|l| l.split(',').nth(1) == Some("1"))
            .count();
        let rate = churners as f64 / 3000.0;
        assert!((0.12..0.22).contains(&rate), "churn rate {rate}");
    }
}
