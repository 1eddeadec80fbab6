//! From scores to a campaign: the decision threshold's what-if (confusion matrix, precision,
//! recall, F1 and the campaign's expected net value), and customers grouped by risk and by their
//! dominant reason, each group with a suggested action from the rules below. Nothing here fits
//! anything; it reads the kept model's scores and contributions.
//!
//! **Action rules** (first match wins; on the dominant reason's column name, lower case, and
//! whether the customer's value is high or low):
//!
//! | column name contains | value | action |
//! |---|---|---|
//! | complain, complaint, ticket, issue | any | service recovery: call within 48 h, resolve the complaint, goodwill credit |
//! | tenure, months, since signup, account age | low | onboarding: welcome series and a first-months discount |
//! | last order, since last, recency, inactive, days since | high | win-back: reminder with a time-limited coupon |
//! | cashback, discount, coupon, promo, reward | low | raise this customer's cashback or coupon |
//! | satisf, rating, review, nps | low | satisfaction follow-up: short survey and a personal call |
//! | distance, delivery, shipping, warehouse | high | free or faster delivery offer |
//! | order, purchase, frequency, count | low | loyalty points on the next orders |
//! | charge, price, fee, bill, cost | high | price review: a cheaper plan or a loyalty discount |
//! | contract, plan, subscription | any | offer a longer plan at a discount |
//! | device, app, login | any | app engagement: reminders in the channel they use |
//! | payment, pay | any | make paying easier: saved card, one-click checkout |
//! | anything else | | personal outreach about the column |
//!
//! Low-risk segments get "no action: regular newsletter"; medium-risk ones the light-touch
//! channel (e-mail); high-risk ones a personal contact.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::explain::Customer;
use crate::metrics::{Confusion, confusion_at};

/// The campaign's economics: one retention offer per contacted customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Campaign {
    /// Cost of one offer (sent to every customer at or above the threshold).
    pub offer_cost: f64,
    /// What keeping one customer who would have churned is worth.
    pub customer_value: f64,
    /// Share of contacted churners the offer keeps.
    pub success_rate: f64,
}

impl Default for Campaign {
    fn default() -> Self {
        Campaign {
            offer_cost: 10.0,
            customer_value: 200.0,
            success_rate: 0.3,
        }
    }
}

impl Campaign {
    pub fn check(&self) -> Result<(), Error> {
        let bad = |what: &str, v: f64| Error::config(format!("campaign {what} is {v}"));
        if !(self.offer_cost.is_finite() && self.offer_cost >= 0.0) {
            return Err(bad("offer cost (at least 0)", self.offer_cost));
        }
        if !(self.customer_value.is_finite() && self.customer_value >= 0.0) {
            return Err(bad("customer value (at least 0)", self.customer_value));
        }
        if !(0.0..=1.0).contains(&self.success_rate) {
            return Err(bad("success rate (0 to 1)", self.success_rate));
        }
        Ok(())
    }

    /// Expected net value of contacting `tp` churners and `fp` others: the churners kept are
    /// worth their value, every contact costs an offer.
    pub fn net_value(&self, tp: usize, fp: usize) -> f64 {
        tp as f64 * self.success_rate * self.customer_value - (tp + fp) as f64 * self.offer_cost
    }
}

/// One threshold on the what-if curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdPoint {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub net_value: f64,
}

/// The decision threshold's consequences on labelled rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhatIf {
    pub threshold: f64,
    pub rows: usize,
    pub confusion: Confusion,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Customers contacted (at or above the threshold).
    pub contacted: usize,
    pub net_value: f64,
    pub campaign: Campaign,
    /// The threshold (of 0, 0.01, …, 1) with the largest net value, and that value.
    pub best_threshold: f64,
    pub best_net_value: f64,
    /// The threshold with the largest F1 (on these rows).
    pub best_f1_threshold: f64,
    /// Every threshold 0, 0.01, …, 1.
    pub curve: Vec<ThresholdPoint>,
}

/// The what-if of `threshold` for churn labels `y` and probabilities `p` (the test rows').
pub fn whatif(y: &[bool], p: &[f64], threshold: f64, campaign: &Campaign) -> Result<WhatIf, Error> {
    campaign.check()?;
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Error::config(format!(
            "the threshold (0 to 1) is {threshold}"
        )));
    }
    if y.len() != p.len() || y.is_empty() {
        return Err(Error::input("the what-if needs labelled, scored rows"));
    }
    let curve: Vec<ThresholdPoint> = (0..=100)
        .map(|k| {
            let t = f64::from(k) / 100.0;
            let c = confusion_at(y, p, t);
            ThresholdPoint {
                threshold: t,
                precision: c.precision(),
                recall: c.recall(),
                f1: c.f1(),
                net_value: campaign.net_value(c.tp, c.fp),
            }
        })
        .collect();
    let best = |key: &dyn Fn(&ThresholdPoint) -> f64| {
        curve
            .iter()
            .fold(&curve[0], |b, q| if key(q) > key(b) { q } else { b })
    };
    let (best_value, best_f1) = (best(&|q| q.net_value), best(&|q| q.f1));
    let c = confusion_at(y, p, threshold);
    Ok(WhatIf {
        threshold,
        rows: y.len(),
        accuracy: c.accuracy(),
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        contacted: c.tp + c.fp,
        net_value: campaign.net_value(c.tp, c.fp),
        campaign: campaign.clone(),
        best_threshold: best_value.threshold,
        best_net_value: best_value.net_value,
        best_f1_threshold: best_f1.threshold,
        confusion: c,
        curve,
    })
}

/// Customers who share a risk level and a dominant reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Segment {
    /// `high`, `medium` or `low`.
    pub risk: String,
    /// The dominant reason: the strongest factor raising their risk ("Complain = 1",
    /// "high DaySinceLastOrder"), or "no single factor".
    pub reason: String,
    pub customers: usize,
    pub mean_probability: f64,
    /// The share who churned, where the table has the target.
    pub churn_rate: Option<f64>,
    pub action: String,
}

/// The action rules of the module's table: `(words, needs, action)` with `needs` `Some(true)`
/// for a high value, `Some(false)` for a low one, `None` for any.
const RULES: &[(&[&str], Option<bool>, &str)] = &[
    (
        &["complain", "complaint", "ticket", "issue"],
        None,
        "service recovery: call within 48 h, resolve the complaint, goodwill credit",
    ),
    (
        &["tenure", "months", "sincesignup", "accountage"],
        Some(false),
        "onboarding: welcome series and a first-months discount",
    ),
    (
        &["lastorder", "sincelast", "recency", "inactive", "dayssince"],
        Some(true),
        "win-back: reminder with a time-limited coupon",
    ),
    (
        &["cashback", "discount", "coupon", "promo", "reward"],
        Some(false),
        "raise this customer's cashback or coupon",
    ),
    (
        &["satisf", "rating", "review", "nps"],
        Some(false),
        "satisfaction follow-up: short survey and a personal call",
    ),
    (
        &["distance", "delivery", "shipping", "warehouse"],
        Some(true),
        "free or faster delivery offer",
    ),
    (
        &["order", "purchase", "frequency", "count"],
        Some(false),
        "loyalty points on the next orders",
    ),
    (
        &["charge", "price", "fee", "bill", "cost"],
        Some(true),
        "price review: a cheaper plan or a loyalty discount",
    ),
    (
        &["contract", "plan", "subscription"],
        None,
        "offer a longer plan at a discount",
    ),
    (
        &["device", "app", "login"],
        None,
        "app engagement: reminders in the channel they use",
    ),
    (
        &["payment", "pay"],
        None,
        "make paying easier: saved card, one-click checkout",
    ),
];

/// The suggested action for a risk level and a dominant reason's column (`high`: whether the
/// customer's value is above the usual; `None` for a category).
pub fn action(risk: &str, column: Option<&str>, high: Option<bool>) -> String {
    if risk == "low" {
        return "no action: regular newsletter".into();
    }
    let what = match column {
        None => "personal check-in".to_string(),
        Some(column) => {
            let key: String = column
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            RULES
                .iter()
                .find(|(words, needs, _)| {
                    words.iter().any(|w| key.contains(w))
                        && needs.is_none_or(|n| high.is_none_or(|h| h == n))
                })
                .map_or_else(
                    || format!("personal outreach about {column}"),
                    |r| r.2.to_string(),
                )
        }
    };
    let channel = if risk == "high" {
        "personal contact"
    } else {
        "e-mail"
    };
    format!("{what} ({channel})")
}

/// Customers grouped by risk level and dominant reason, largest groups first within each
/// level (high, medium, low). `churned` is each customer's known outcome, where the table has
/// the target.
pub fn segments(customers: &[Customer], churned: Option<&[Option<bool>]>) -> Vec<Segment> {
    use std::collections::BTreeMap;
    // (risk order, reason) → (customers, Σp, churned known, churned, column, high).
    type Acc = (usize, f64, usize, usize, Option<String>, Option<bool>);
    let mut groups: BTreeMap<(usize, String), Acc> = BTreeMap::new();
    for c in customers {
        let risk = crate::metrics::segment_index(c.probability);
        let top = c.reasons.iter().find(|r| r.contribution > 0.0);
        let reason = top.map_or_else(|| "no single factor".to_string(), |r| r.theme.clone());
        let e = groups.entry((risk, reason)).or_insert((
            0,
            0.0,
            0,
            0,
            top.map(|r| r.column.clone()),
            top.and_then(|r| r.high),
        ));
        e.0 += 1;
        e.1 += c.probability;
        if let Some(Some(y)) = churned.and_then(|v| v.get(c.row)) {
            e.2 += 1;
            e.3 += usize::from(*y);
        }
    }
    let mut out: Vec<(usize, Segment)> = groups
        .into_iter()
        .map(|((risk, reason), (n, sum, known, churned, column, high))| {
            let level = crate::metrics::SEGMENTS[risk];
            (
                risk,
                Segment {
                    risk: level.to_string(),
                    action: action(level, column.as_deref(), high),
                    reason,
                    customers: n,
                    mean_probability: sum / n as f64,
                    churn_rate: (known > 0).then(|| churned as f64 / known as f64),
                },
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.customers.cmp(&a.1.customers)));
    out.into_iter().map(|(_, s)| s).collect()
}

/// The segments as CSV, for export.
pub fn segments_csv(segments: &[Segment]) -> Result<String, Error> {
    let fail = |e: &dyn std::fmt::Display| Error::input(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "risk",
        "dominant_reason",
        "customers",
        "mean_churn_probability",
        "churn_rate",
        "suggested_action",
    ])
    .map_err(|e| fail(&e))?;
    for s in segments {
        w.write_record([
            s.risk.clone(),
            crate::synthetic::neutralize(&s.reason),
            s.customers.to_string(),
            format!("{:.4}", s.mean_probability),
            s.churn_rate.map(|r| format!("{r:.4}")).unwrap_or_default(),
            s.action.clone(),
        ])
        .map_err(|e| fail(&e))?;
    }
    String::from_utf8(w.into_inner().map_err(|e| fail(&e))?).map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_value_of_a_hand_made_confusion_matrix() {
        // Scores of 10 customers, 4 of whom churned; at 0.5: TP 3, FP 2, FN 1, TN 4.
        let y = [
            true, true, true, true, false, false, false, false, false, false,
        ];
        let p = [0.9, 0.8, 0.6, 0.2, 0.7, 0.55, 0.3, 0.1, 0.05, 0.4];
        let campaign = Campaign {
            offer_cost: 10.0,
            customer_value: 200.0,
            success_rate: 0.25,
        };
        let w = whatif(&y, &p, 0.5, &campaign).unwrap();
        assert_eq!(
            (
                w.confusion.tp,
                w.confusion.fp,
                w.confusion.fn_,
                w.confusion.tn
            ),
            (3, 2, 1, 4)
        );
        // 3 churners kept a quarter of the time at 200 each, minus 5 offers at 10.
        assert!((w.net_value - (3.0 * 0.25 * 200.0 - 5.0 * 10.0)).abs() < 1e-9);
        assert_eq!(w.contacted, 5);
        assert!((w.precision - 0.6).abs() < 1e-12 && (w.recall - 0.75).abs() < 1e-12);
        // Each churner contacted is worth 50, each contact costs 10. Contacting the top 4
        // (3 churners) gives 110; the top 8 (all 4 churners, p ≥ 0.2) the most: 200 − 80 = 120,
        // first reached at 0.11; everyone (0.0) gives 100.
        assert!(
            (w.best_net_value - 120.0).abs() < 1e-9,
            "{}",
            w.best_net_value
        );
        assert!(
            (w.best_threshold - 0.11).abs() < 1e-12,
            "{}",
            w.best_threshold
        );
        assert!((w.curve[0].net_value - 100.0).abs() < 1e-9);
        assert_eq!(w.curve.len(), 101);
        assert!(whatif(&y, &p, 1.5, &campaign).is_err());
        let bad = Campaign {
            success_rate: 2.0,
            ..campaign
        };
        assert!(
            whatif(&y, &p, 0.5, &bad)
                .unwrap_err()
                .message
                .contains("success rate")
        );
    }

    #[test]
    fn actions_follow_the_rules() {
        assert!(action("high", Some("Complain"), Some(true)).starts_with("service recovery"));
        assert!(action("high", Some("Tenure"), Some(false)).starts_with("onboarding"));
        assert!(action("medium", Some("DaySinceLastOrder"), Some(true)).starts_with("win-back"));
        assert!(action("medium", Some("DaySinceLastOrder"), Some(true)).ends_with("(e-mail)"));
        assert_eq!(
            action("low", Some("Complain"), Some(true)),
            "no action: regular newsletter"
        );
        assert!(action("high", Some("Zodiac"), None).starts_with("personal outreach about Zodiac"));
        // A long tenure is no onboarding case: the rule needs a low value.
        assert!(!action("high", Some("Tenure"), Some(true)).starts_with("onboarding"));
    }
}
