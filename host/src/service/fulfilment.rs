//! The fulfilment queue of physical prizes. Every prize is pending from
//! its grant (no redemption step first); operators ship it (carrier and
//! tracking number) or write it off (a reason), in bulk. A bulk request is
//! all or nothing: if any id is unknown or no longer pending, nothing
//! moves and the answer names them. Each move appends `reward.shipped` or
//! `reward.written_off` to the event log in the same transaction.

use serde::{Deserialize, Serialize};

use super::Arcade;
use crate::clock::to_rfc3339;
use crate::error::{Error, Result};
use crate::store::{FulfilmentItem, Settlement};

/// Most items in one bulk request.
pub const MAX_BULK: usize = 500;
/// Largest page of the queue.
pub const MAX_FULFILMENT_PAGE: u32 = 500;
/// Longest carrier, tracking number or reason, in characters.
const MAX_FIELD: usize = 200;

/// `GET /v1/fulfilment` query.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentQuery {
    /// Only this activity's prizes.
    pub activity_id: Option<String>,
    /// `pending` (default), `shipped` or `written_off`.
    pub status: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<u32>,
}

/// One shipment of `POST /v1/fulfilment/ship`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// The reward.
    pub reward_id: String,
    /// Carrier.
    pub carrier: String,
    /// Tracking number.
    pub tracking_no: String,
}

/// `POST /v1/fulfilment/ship`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
    /// The shipments, 1 to 500.
    pub items: Vec<Shipment>,
}

/// `POST /v1/fulfilment/write-off`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffRequest {
    /// The rewards, 1 to 500.
    pub reward_ids: Vec<String>,
    /// Why.
    pub reason: String,
}

/// A prize as the queue shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FulfilmentView {
    /// The reward.
    pub reward_id: String,
    /// Activity.
    pub activity_id: String,
    /// The outcome that granted it.
    pub outcome_id: String,
    /// Winner.
    pub user_id: String,
    /// Item id.
    pub item: String,
    /// Display name.
    pub name: String,
    /// Amount.
    pub amount: i64,
    /// `pending`, `shipped` or `written_off`.
    pub status: String,
    /// Carrier, once shipped.
    pub carrier: Option<String>,
    /// Tracking number, once shipped.
    pub tracking_no: Option<String>,
    /// Reason, once written off.
    pub note: Option<String>,
    /// Grant time (RFC 3339).
    pub granted_at: String,
    /// When it was shipped or written off (RFC 3339).
    pub updated_at: Option<String>,
    /// Who shipped or wrote it off: a key id.
    pub updated_by: Option<String>,
}

impl From<FulfilmentItem> for FulfilmentView {
    fn from(i: FulfilmentItem) -> Self {
        FulfilmentView {
            status: i.fulfilment.unwrap_or(i.state),
            reward_id: i.public_id,
            activity_id: i.activity_id,
            outcome_id: i.outcome_id,
            user_id: i.user_id,
            item: i.item,
            name: i.name,
            amount: i.amount,
            carrier: i.carrier,
            tracking_no: i.tracking_no,
            note: i.note,
            granted_at: to_rfc3339(i.created_at),
            updated_at: i.updated_at.map(to_rfc3339),
            updated_by: i.updated_by,
        }
    }
}

/// A page of the queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FulfilmentPage {
    /// Oldest grant first.
    pub items: Vec<FulfilmentView>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next: Option<String>,
}

fn field(name: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > MAX_FIELD {
        return Err(Error::invalid(
            "invalid_fulfilment",
            format!("{name} must be 1 to {MAX_FIELD} characters"),
        ));
    }
    Ok(v.to_owned())
}

impl Arcade {
    /// A page of the tenant's prizes in a fulfilment status.
    pub async fn fulfilment_queue(
        &self,
        tenant_id: &str,
        q: &FulfilmentQuery,
    ) -> Result<FulfilmentPage> {
        let status = q.status.as_deref().unwrap_or("pending");
        if !matches!(status, "pending" | "shipped" | "written_off") {
            return Err(Error::invalid(
                "invalid_status",
                "status must be pending, shipped or written_off",
            ));
        }
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_FULFILMENT_PAGE {
            return Err(Error::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_FULFILMENT_PAGE}"),
            ));
        }
        if let Some(a) = &q.activity_id {
            self.activity_view(tenant_id, a).await?;
        }
        let rows = self
            .store
            .fulfilment_items(
                tenant_id,
                q.activity_id.as_deref(),
                status,
                q.cursor.as_deref(),
                i64::from(limit) + 1,
            )
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound(_) => {
                    Error::invalid("invalid_cursor", "cursor is not a reward of this tenant")
                }
                other => other.into(),
            })?;
        let more = rows.len() > limit as usize;
        let items: Vec<FulfilmentView> = rows
            .into_iter()
            .take(limit as usize)
            .map(FulfilmentView::from)
            .collect();
        let next = if more {
            items.last().map(|i| i.reward_id.clone())
        } else {
            None
        };
        Ok(FulfilmentPage { items, next })
    }

    /// Ship prizes, all or nothing.
    pub async fn ship(
        &self,
        tenant_id: &str,
        req: ShipRequest,
        by: &str,
    ) -> Result<Vec<FulfilmentView>> {
        let items = req
            .items
            .iter()
            .map(|s| {
                Ok(Settlement {
                    reward_id: s.reward_id.clone(),
                    carrier: Some(field("carrier", &s.carrier)?),
                    tracking_no: Some(field("tracking_no", &s.tracking_no)?),
                    note: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.fulfil(tenant_id, "shipped", items, by).await
    }

    /// Write prizes off, all or nothing.
    pub async fn write_off(
        &self,
        tenant_id: &str,
        req: WriteOffRequest,
        by: &str,
    ) -> Result<Vec<FulfilmentView>> {
        let reason = field("reason", &req.reason)?;
        let items = req
            .reward_ids
            .iter()
            .map(|id| Settlement {
                reward_id: id.clone(),
                carrier: None,
                tracking_no: None,
                note: Some(reason.clone()),
            })
            .collect();
        self.fulfil(tenant_id, "written_off", items, by).await
    }

    async fn fulfil(
        &self,
        tenant_id: &str,
        status: &str,
        mut items: Vec<Settlement>,
        by: &str,
    ) -> Result<Vec<FulfilmentView>> {
        if items.is_empty() || items.len() > MAX_BULK {
            return Err(Error::invalid(
                "invalid_fulfilment",
                format!("give 1 to {MAX_BULK} rewards"),
            ));
        }
        // One lock order for every request, so two bulk requests over the
        // same prizes cannot deadlock.
        items.sort_by(|a, b| a.reward_id.cmp(&b.reward_id));
        if let Some(w) = items.windows(2).find(|w| w[0].reward_id == w[1].reward_id) {
            return Err(Error::invalid(
                "invalid_fulfilment",
                format!("reward {} is given twice", w[0].reward_id),
            ));
        }
        let done = self
            .store
            .fulfil(tenant_id, status, &items, by, self.now())
            .await?;
        match done {
            Ok(items) => Ok(items.into_iter().map(FulfilmentView::from).collect()),
            Err(r) if !r.not_found.is_empty() => Err(Error::NotFound {
                what: "reward",
                id: r.not_found.join(", "),
            }),
            Err(r) => Err(Error::conflict(
                "reward_not_pending",
                format!(
                    "nothing changed: these prizes are no longer pending: {}",
                    r.not_pending.join(", ")
                ),
            )),
        }
    }
}
