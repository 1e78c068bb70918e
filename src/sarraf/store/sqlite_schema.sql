-- The schema the Alembic migrations build on SQLite; generated: python -m sarraf.store.sqlite_schema
BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('d4a7c9e2b611');
CREATE TABLE alert_dead_letters (
	id INTEGER NOT NULL, 
	outbox_id INTEGER NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	event_id VARCHAR(160) NOT NULL, 
	customer_id VARCHAR(64), 
	channel VARCHAR(32), 
	attempts INTEGER NOT NULL, 
	reason TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_alert_dead_letters PRIMARY KEY (id)
);
CREATE TABLE alert_derivation_memory (
	tenant VARCHAR(64) NOT NULL, 
	account_id VARCHAR(128) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	memory JSON NOT NULL, 
	last_booking_at DATETIME, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_alert_derivation_memory PRIMARY KEY (tenant, account_id)
);
CREATE TABLE alert_fraud_cases (
	tenant VARCHAR(64) NOT NULL, 
	event_id VARCHAR(160) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	card_id VARCHAR(64) NOT NULL, 
	data JSON NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	freeze VARCHAR(16) DEFAULT 'none' NOT NULL, 
	bank_case_id VARCHAR(64), 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	lang VARCHAR(8) NOT NULL, 
	escalations INTEGER DEFAULT '0' NOT NULL, 
	deadline_at DATETIME NOT NULL, 
	answered_at DATETIME, 
	created_at DATETIME NOT NULL, freeze_lease_until DATETIME, 
	CONSTRAINT pk_alert_fraud_cases PRIMARY KEY (tenant, event_id)
);
CREATE TABLE alert_outbox (
	id INTEGER NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	event_id VARCHAR(160) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	consent_id VARCHAR(128) NOT NULL, 
	stream VARCHAR(200), 
	occurred_at DATETIME NOT NULL, 
	received_at DATETIME NOT NULL, 
	data JSON NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	lane VARCHAR(8) DEFAULT 'normal' NOT NULL, 
	customer_id VARCHAR(64), 
	channel VARCHAR(32), 
	sender VARCHAR(255), 
	messages JSON, 
	attempts INTEGER DEFAULT '0' NOT NULL, 
	available_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	last_error TEXT, delivered_at DATETIME, read_at DATETIME, 
	CONSTRAINT pk_alert_outbox PRIMARY KEY (id), 
	CONSTRAINT uq_alert_outbox_event UNIQUE (tenant, event_id)
);
CREATE TABLE alert_platform_messages (
	channel VARCHAR(32) NOT NULL, 
	message_id VARCHAR(255) NOT NULL, 
	outbox_id INTEGER NOT NULL, 
	CONSTRAINT pk_alert_platform_messages PRIMARY KEY (channel, message_id)
);
CREATE TABLE alert_preferences (
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	opted_in BOOLEAN NOT NULL, 
	disabled JSON NOT NULL, 
	channel VARCHAR(32), 
	sender VARCHAR(255), 
	quiet_start VARCHAR(5), 
	quiet_end VARCHAR(5), 
	timezone VARCHAR(64) NOT NULL, 
	low_balance_below VARCHAR(32), 
	large_from VARCHAR(32), 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_alert_preferences PRIMARY KEY (tenant, customer_id)
);
CREATE TABLE alexa_oauth_codes (
	code_hash VARCHAR(64) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	client_id VARCHAR(255) NOT NULL, 
	redirect_uri TEXT NOT NULL, 
	code_challenge VARCHAR(128), 
	grant_id VARCHAR(64) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	CONSTRAINT pk_alexa_oauth_codes PRIMARY KEY (code_hash)
);
CREATE TABLE alexa_oauth_requests (
	link_state VARCHAR(128) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	client_id VARCHAR(255) NOT NULL, 
	redirect_uri TEXT NOT NULL, 
	alexa_state TEXT NOT NULL, 
	code_challenge VARCHAR(128), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_alexa_oauth_requests PRIMARY KEY (link_state)
);
CREATE TABLE alexa_oauth_tokens (
	token_hash VARCHAR(64) NOT NULL, 
	kind VARCHAR(8) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	client_id VARCHAR(255) NOT NULL, 
	grant_id VARCHAR(64) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_alexa_oauth_tokens PRIMARY KEY (token_hash)
);
CREATE TABLE alexa_pending_messages (
	id INTEGER NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	payload JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_alexa_pending_messages PRIMARY KEY (id)
);
CREATE TABLE audit_checkpoints (
	seq INTEGER NOT NULL, 
	tree_size BIGINT NOT NULL, 
	root BLOB NOT NULL, 
	timestamp VARCHAR(40) NOT NULL, 
	previous BLOB NOT NULL, 
	key_id VARCHAR(64) NOT NULL, 
	signature BLOB NOT NULL, 
	CONSTRAINT pk_audit_checkpoints PRIMARY KEY (seq)
);
CREATE TABLE audit_leaves (
	idx BIGINT NOT NULL, 
	data TEXT NOT NULL, 
	leaf_hash BLOB NOT NULL, 
	CONSTRAINT pk_audit_leaves PRIMARY KEY (idx)
);
CREATE TABLE audit_tree_state (
	id INTEGER NOT NULL, 
	tree_size BIGINT NOT NULL, 
	nodes BLOB NOT NULL, 
	CONSTRAINT pk_audit_tree_state PRIMARY KEY (id)
);
CREATE TABLE bank_links (
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	consent_id VARCHAR(128) NOT NULL, 
	status VARCHAR(8) NOT NULL, 
	permissions JSON NOT NULL, 
	expires_at DATETIME, 
	tokens_sealed BLOB, 
	reminded_at DATETIME, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_bank_links PRIMARY KEY (tenant, customer_id)
);
CREATE TABLE card_confirmations (
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	action VARCHAR(16) NOT NULL, 
	card_id VARCHAR(64) NOT NULL, 
	last4 VARCHAR(4) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_card_confirmations PRIMARY KEY (tenant, customer_id)
);
CREATE TABLE "channel_identities" (
	id INTEGER NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	sender_sealed BLOB NOT NULL, 
	CONSTRAINT pk_channel_identities PRIMARY KEY (id), 
	CONSTRAINT uq_channel_identity UNIQUE (tenant, channel, sender)
);
CREATE TABLE channel_outbox (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	payload JSON NOT NULL, 
	created_at DATETIME NOT NULL
);
CREATE TABLE channel_service_windows (
	channel VARCHAR(32) NOT NULL, 
	account VARCHAR(64) NOT NULL, 
	customer VARCHAR(255) NOT NULL, 
	last_inbound_at DATETIME NOT NULL, 
	CONSTRAINT pk_channel_service_windows PRIMARY KEY (channel, account, customer)
);
CREATE TABLE console_claims (
	tenant VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	staff_id VARCHAR(36) NOT NULL, 
	claimed_at DATETIME NOT NULL, 
	CONSTRAINT pk_console_claims PRIMARY KEY (tenant, channel, sender)
);
CREATE TABLE console_handled (
	handoff_id INTEGER NOT NULL, 
	staff_id VARCHAR(36) NOT NULL, 
	claimed_at DATETIME NOT NULL, 
	CONSTRAINT pk_console_handled PRIMARY KEY (handoff_id)
);
CREATE TABLE console_satisfaction (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	tenant VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	staff_id VARCHAR(36) NOT NULL, 
	score INTEGER, 
	asked_at DATETIME NOT NULL, 
	answered_at DATETIME
);
CREATE TABLE console_transcript (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	tenant VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	author VARCHAR(16) NOT NULL, 
	message JSON NOT NULL, 
	created_at DATETIME NOT NULL
);
CREATE TABLE conversation_context (
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	state JSON NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_conversation_context PRIMARY KEY (tenant, customer_id, channel)
);
CREATE TABLE customers (
	id VARCHAR(64) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	lang VARCHAR(8), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_customers PRIMARY KEY (id)
);
CREATE TABLE data_keys (
	owner VARCHAR(255) NOT NULL, 
	key_id VARCHAR(64) NOT NULL, 
	wrapped BLOB NOT NULL, 
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	CONSTRAINT pk_data_keys PRIMARY KEY (owner)
);
CREATE TABLE handoff_requests (
	id INTEGER NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	reason VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_handoff_requests PRIMARY KEY (id)
);
CREATE TABLE held_actions (
	id VARCHAR(40) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	lang VARCHAR(8) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	argument VARCHAR(255), 
	login_state VARCHAR(128) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	CONSTRAINT pk_held_actions PRIMARY KEY (id), 
	CONSTRAINT uq_held_actions_login_state UNIQUE (login_state)
);
CREATE TABLE "link_sessions" (
	state VARCHAR(128) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	consent_id VARCHAR(128) NOT NULL, 
	verifier_sealed BLOB NOT NULL, 
	authorize_url TEXT DEFAULT ('') NOT NULL, 
	return_to TEXT, 
	created_at DATETIME NOT NULL, 
	resume_sealed BLOB, 
	browser VARCHAR(64), 
	sender_sealed BLOB NOT NULL, 
	CONSTRAINT pk_link_sessions PRIMARY KEY (state)
);
CREATE TABLE messenger_thread_owners (
	tenant VARCHAR(64) NOT NULL, 
	customer VARCHAR(255) NOT NULL, 
	owner_app_id VARCHAR(64) NOT NULL, 
	since DATETIME NOT NULL, 
	CONSTRAINT pk_messenger_thread_owners PRIMARY KEY (tenant, customer)
);
CREATE TABLE offer_optins (
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	opted_in BOOLEAN NOT NULL, 
	channel VARCHAR(32), 
	changed_at DATETIME NOT NULL, 
	CONSTRAINT pk_offer_optins PRIMARY KEY (tenant, customer_id)
);
CREATE TABLE offer_sends (
	tenant VARCHAR(64) NOT NULL, 
	event_id VARCHAR(160) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	routed_at DATETIME NOT NULL, 
	CONSTRAINT pk_offer_sends PRIMARY KEY (tenant, event_id)
);
CREATE TABLE payments (
	payment_id VARCHAR(64) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	sender VARCHAR(255) NOT NULL, 
	lang VARCHAR(8) NOT NULL, 
	state VARCHAR(24) NOT NULL, 
	version INTEGER NOT NULL, 
	amount_minor INTEGER, 
	currency VARCHAR(3), 
	asking VARCHAR(16), 
	sealed BLOB NOT NULL, 
	consent_key VARCHAR(40) NOT NULL, 
	payment_key VARCHAR(40) NOT NULL, 
	consent_id VARCHAR(128), 
	auth_state VARCHAR(128), 
	bank_payment_id VARCHAR(128), 
	bank_status VARCHAR(8), 
	reason VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, next_check_at DATETIME, checks INTEGER DEFAULT '0' NOT NULL, 
	CONSTRAINT pk_payments PRIMARY KEY (payment_id), 
	CONSTRAINT uq_payments_auth_state UNIQUE (auth_state)
);
CREATE TABLE processed_messages (
	channel VARCHAR(32) NOT NULL, 
	message_id VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_processed_messages PRIMARY KEY (channel, message_id)
);
CREATE TABLE secure_link_claims (
	token_hash VARCHAR(64) NOT NULL, 
	browser_hash VARCHAR(64) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_secure_link_claims PRIMARY KEY (token_hash)
);
CREATE TABLE service_outcomes (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	tenant VARCHAR(64) NOT NULL, 
	intent VARCHAR(64) NOT NULL, 
	helped BOOLEAN NOT NULL, 
	at DATETIME NOT NULL
);
CREATE TABLE staff_accounts (
	id VARCHAR(36) NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	totp_sealed BLOB NOT NULL, 
	last_totp_step INTEGER DEFAULT '0' NOT NULL, 
	failed_logins INTEGER DEFAULT '0' NOT NULL, 
	locked_until DATETIME, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_staff_accounts PRIMARY KEY (id), 
	CONSTRAINT uq_staff_tenant_email UNIQUE (tenant, email)
);
CREATE TABLE staff_events (
	id INTEGER NOT NULL, 
	tenant VARCHAR(64) NOT NULL, 
	staff_id VARCHAR(36), 
	email VARCHAR(255) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	detail VARCHAR(255) DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_staff_events PRIMARY KEY (id)
);
CREATE TABLE staff_sessions (
	token_hash VARCHAR(64) NOT NULL, 
	staff_id VARCHAR(36) NOT NULL, 
	csrf VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_staff_sessions PRIMARY KEY (token_hash)
);
CREATE TABLE telegram_deep_links (
	tenant VARCHAR(64) NOT NULL, 
	payload_hash VARCHAR(64) NOT NULL, 
	intent VARCHAR(64) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_telegram_deep_links PRIMARY KEY (tenant, payload_hash)
);
CREATE INDEX ix_alert_dead_letters_outbox_id ON alert_dead_letters (outbox_id);
CREATE INDEX ix_alert_fraud_cases_customer_id ON alert_fraud_cases (customer_id);
CREATE INDEX ix_alert_fraud_cases_deadline_at ON alert_fraud_cases (deadline_at);
CREATE INDEX ix_alexa_oauth_tokens_customer_id ON alexa_oauth_tokens (customer_id);
CREATE INDEX ix_alexa_oauth_tokens_grant_id ON alexa_oauth_tokens (grant_id);
CREATE INDEX ix_alexa_pending_messages_sender ON alexa_pending_messages (sender);
CREATE INDEX ix_channel_outbox_sender ON channel_outbox (sender);
CREATE INDEX ix_handoff_requests_customer_id ON handoff_requests (customer_id);
CREATE INDEX ix_bank_links_tenant_consent ON bank_links (tenant, consent_id);
CREATE INDEX ix_alert_outbox_lane ON alert_outbox (customer_id, lane, id) WHERE status = 'ready';
CREATE INDEX ix_alert_outbox_on_stream ON alert_outbox (tenant, consent_id, stream) WHERE stream IS NOT NULL;
CREATE INDEX ix_alert_outbox_ready ON alert_outbox (id, available_at) WHERE status = 'ready';
CREATE INDEX ix_alert_outbox_received ON alert_outbox (id) WHERE status = 'received';
CREATE INDEX ix_alert_platform_messages_outbox_id ON alert_platform_messages (outbox_id);
CREATE INDEX ix_conversation_context_expires_at ON conversation_context (expires_at);
CREATE INDEX ix_console_transcript_conversation ON console_transcript (tenant, channel, sender, id);
CREATE INDEX ix_console_transcript_customer_id ON console_transcript (customer_id);
CREATE INDEX ix_staff_events_tenant_id ON staff_events (tenant, id);
CREATE INDEX ix_staff_sessions_staff_id ON staff_sessions (staff_id);
CREATE INDEX ix_console_satisfaction_conversation ON console_satisfaction (tenant, channel, sender, id);
CREATE INDEX ix_console_satisfaction_tenant_asked ON console_satisfaction (tenant, asked_at);
CREATE INDEX ix_payments_open ON payments (tenant, customer_id) WHERE state IN ('draft', 'awaiting_confirmation');
CREATE INDEX ix_offer_sends_bank ON offer_sends (tenant, routed_at);
CREATE INDEX ix_offer_sends_customer ON offer_sends (tenant, customer_id, routed_at);
CREATE INDEX ix_secure_link_claims_expires_at ON secure_link_claims (expires_at);
CREATE INDEX ix_service_outcomes_tenant_at ON service_outcomes (tenant, at);
CREATE INDEX ix_held_actions_customer ON held_actions (tenant, customer_id, status);
CREATE INDEX ix_channel_identities_customer_id ON channel_identities (customer_id);
CREATE INDEX ix_payments_followed ON payments (next_check_at) WHERE next_check_at IS NOT NULL OR state = 'submitted';
DELETE FROM "sqlite_sequence";
COMMIT;
